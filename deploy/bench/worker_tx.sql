-- pgbench script: the conversation worker's SQL for ONE inbound message, statement for statement
-- (workers/src/conversation.rs → shared/infra/src/store/{processed,leads,outbound}.rs), for an
-- answer turn that records one answer and queues one reply — the commonest turn the load
-- generator's script produces. The artist is cached by the worker (read again every 5 s), so its
-- lookup is no round trip of its own here (a subquery where its id is needed). Run against a database made by `inkline-bench worker-drain --keep`
-- (migrated schema + demo artist). Variables are substituted textually (pgbench -M simple).
-- One number space per pgbench client: two clients never create the same lead at once (the
-- worker serialises one client's messages, and falls back to a plain lock in that race).
\set c random(1, 5000) * 10 + :client_id
BEGIN;
-- processed::first_time
INSERT INTO processed_events (provider, id) VALUES ('whatsapp', 'wamid.PGB.' || gen_random_uuid()) ON CONFLICT DO NOTHING;
-- leads::lock_or_create: the new lead, or the existing one locked, in one statement
WITH ins AS (
    INSERT INTO leads (id, artist_id, wa_id, status) VALUES (gen_random_uuid(), (SELECT id FROM artists WHERE phone_number_id = '100000000000001'), '4950' || :c, 'NEW')
    ON CONFLICT (artist_id, wa_id) DO NOTHING
    RETURNING id, artist_id, wa_id, status, state, created_at, true AS created),
old AS (
    SELECT id, artist_id, wa_id, status, state, created_at, false AS created FROM leads
     WHERE artist_id = (SELECT id FROM artists WHERE phone_number_id = '100000000000001') AND wa_id = '4950' || :c FOR UPDATE)
SELECT id AS lead_id, status AS lead_status FROM ins UNION ALL SELECT id, status FROM old \gset
-- outbound::record_inbound: the transcript row and the read receipt's outbox row
WITH m AS (
    INSERT INTO messages (id, lead_id, artist_id, direction, recipient, wa_id, kind, text, body, provider_id, status, provider_at)
    VALUES (gen_random_uuid(), ':lead_id', (SELECT id FROM artists WHERE phone_number_id = '100000000000001'), 'in', 'client', '4950' || :c, 'text', 'left forearm',
            '{"type":"text","body":"left forearm"}', 'wamid.PGB.in.' || gen_random_uuid(), 'received', now())
    ON CONFLICT (provider_id) WHERE provider_id IS NOT NULL DO NOTHING)
INSERT INTO outbox (id, topic, payload, headers)
VALUES (gen_random_uuid(), 'outbound.whatsapp.p1',
        '{"job":"mark_read","artist_id":"00000000-0000-0000-0000-000000000000","wamid":"wamid.PGB"}',
        '{"correlation_id":"pgbench"}');
-- leads::save (guarded on the status read above) + its status history, one lifecycle stamp
WITH u AS (
    UPDATE leads SET status = 'QUALIFYING', step = 'dimensions',
        state = '{"status":"QUALIFYING","step":"dimensions","answers":{"idea":{"text":"A fine-line swallow with a small banner"},"placement":{"text":"left forearm"}},"reasks":0,"name":"Load Client","last_inbound_at":"2026-11-25T12:00:05Z","status_since":"2026-11-25T12:00:00Z","references":[],"estimate":null,"handover":null,"tour_offer":null,"notes":[]}',
        answers = '{"idea":"A fine-line swallow with a small banner","placement":"left forearm"}', estimate = NULL, name = 'Load Client',
        last_inbound_at = now(), updated_at = now(), qualifying_at = COALESCE(qualifying_at, now())
     WHERE id = ':lead_id' AND status = ':lead_status'
    RETURNING id),
h AS (
    INSERT INTO lead_status_history (lead_id, from_status, to_status, cause)
    SELECT u.id, t.from_status, t.to_status, t.cause
      FROM u, unnest(ARRAY[':lead_status'], ARRAY['QUALIFYING'], ARRAY['inbound_message']) WITH ORDINALITY AS t(from_status, to_status, cause, n)
     ORDER BY t.n)
SELECT count(*) FROM u;
-- leads::record_answer
INSERT INTO lead_answers (lead_id, key, value, raw, source_message_id) VALUES (':lead_id', 'placement', '"left forearm"', 'left forearm', 'wamid.PGB');
-- outbound::enqueue_outbound: transcript row + outbox row in one statement (fires the NOTIFY trigger)
WITH m AS (
    INSERT INTO messages (id, lead_id, artist_id, direction, recipient, wa_id, kind, text, body, status)
    VALUES (gen_random_uuid(), ':lead_id', (SELECT id FROM artists WHERE phone_number_id = '100000000000001'), 'out', 'client', '4950' || :c, 'text', 'Great, and how big would you like it?',
            '{"type":"text","text":"Great, and how big would you like it? For example 10x15cm, or palm-sized."}', 'queued'))
INSERT INTO outbox (id, topic, payload, headers)
VALUES (gen_random_uuid(), 'outbound.whatsapp.p1',
        '{"message_id":"00000000-0000-0000-0000-000000000000","artist_id":"00000000-0000-0000-0000-000000000000","lead_id":null,"recipient":"client","to":"4950","body":{"type":"text","text":"Great, and how big would you like it? For example 10x15cm, or palm-sized."}}',
        '{"correlation_id":"pgbench"}');
COMMIT;
