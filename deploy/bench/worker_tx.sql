-- pgbench script: the conversation worker's SQL for ONE inbound message, statement for statement
-- (workers/src/conversation.rs → shared/infra/src/store/{artists,processed,leads,messages,outbound,outbox}.rs),
-- for an answer turn that records one answer and queues one reply — the commonest turn the load
-- generator's script produces. Run against a database made by `inkline-bench worker-drain --keep`
-- (migrated schema + demo artist). Variables are substituted textually (pgbench -M simple).
\set c random(1, 50000)
-- artists::by_phone_number_id (outside the transaction; reads the whole config)
SELECT id AS artist_id, config AS artist_config FROM artists WHERE phone_number_id = '100000000000001' \gset
BEGIN;
-- processed::first_time
INSERT INTO processed_events (provider, id) VALUES ('whatsapp', 'wamid.PGB.' || gen_random_uuid()) ON CONFLICT DO NOTHING;
-- leads::lock_or_create
INSERT INTO leads (id, artist_id, wa_id, status) VALUES (gen_random_uuid(), ':artist_id', '4950' || :c, 'NEW') ON CONFLICT (artist_id, wa_id) DO NOTHING;
SELECT id AS lead_id, artist_id AS lead_artist, wa_id, status AS lead_status, state, created_at FROM leads WHERE artist_id = ':artist_id' AND wa_id = '4950' || :c FOR UPDATE \gset
-- messages::insert_inbound
INSERT INTO messages (id, lead_id, artist_id, direction, recipient, wa_id, kind, text, body, provider_id, status, provider_at)
  VALUES (gen_random_uuid(), ':lead_id', ':artist_id', 'in', 'client', '4950' || :c, 'text', 'left forearm',
          '{"type":"text","body":"left forearm"}', 'wamid.PGB.in.' || gen_random_uuid(), 'received', now())
  ON CONFLICT (provider_id) WHERE provider_id IS NOT NULL DO NOTHING;
-- leads::save (guarded on the status read above) + one lifecycle stamp
UPDATE leads SET status = 'QUALIFYING', step = 'dimensions',
    state = '{"status":"QUALIFYING","step":"dimensions","answers":{"idea":{"text":"A fine-line swallow with a small banner"},"placement":{"text":"left forearm"}},"reasks":0,"name":"Load Client","last_inbound_at":"2026-11-25T12:00:05Z","status_since":"2026-11-25T12:00:00Z","references":[],"estimate":null,"handover":null,"tour_offer":null,"notes":[]}',
    answers = '{"idea":"A fine-line swallow with a small banner","placement":"left forearm"}', estimate = NULL, name = 'Load Client',
    last_inbound_at = now(), updated_at = now(), qualifying_at = COALESCE(qualifying_at, now())
  WHERE id = ':lead_id' AND status = ':lead_status';
-- lead_status_history (one transition)
INSERT INTO lead_status_history (lead_id, from_status, to_status, cause) VALUES (':lead_id', ':lead_status', 'QUALIFYING', 'inbound_message');
-- leads::record_answer
INSERT INTO lead_answers (lead_id, key, value, raw, source_message_id) VALUES (':lead_id', 'placement', '"left forearm"', 'left forearm', 'wamid.PGB');
-- effects::enqueue_send: transcript row + outbox row (fires the NOTIFY trigger)
INSERT INTO messages (id, lead_id, artist_id, direction, recipient, wa_id, kind, text, body, status)
  VALUES (gen_random_uuid(), ':lead_id', ':artist_id', 'out', 'client', '4950' || :c, 'text', 'Great, and how big would you like it?',
          '{"type":"text","text":"Great, and how big would you like it? For example 10x15cm, or palm-sized."}', 'queued');
INSERT INTO outbox (id, topic, payload, headers)
  VALUES (gen_random_uuid(), 'outbound.whatsapp',
          '{"message_id":"00000000-0000-0000-0000-000000000000","artist_id":"00000000-0000-0000-0000-000000000000","lead_id":null,"recipient":"client","to":"4950","body":{"type":"text","text":"Great, and how big would you like it? For example 10x15cm, or palm-sized."}}',
          '{"correlation_id":"pgbench"}');
COMMIT;
