-- Sender: production order per recipient, parking, template fallback, artist notifications,
-- the shared pacing limiter, and inbound media references.

-- Production order of outbound messages (one sequence for all: per recipient it is the order the
-- transactions wrote them). Set after the column exists so old rows keep NULL and no rewrite runs.
CREATE SEQUENCE messages_send_seq;
ALTER TABLE messages ADD COLUMN send_seq bigint;
ALTER TABLE messages ALTER COLUMN send_seq SET DEFAULT nextval('messages_send_seq');
-- set while a queued message waits outside the queue (artist paused, job in the DLQ): younger
-- messages to the same recipient no longer wait for it
ALTER TABLE messages ADD COLUMN parked_at timestamptz;
ALTER TABLE messages ADD COLUMN parked_reason text;
-- Meta said the 24 h window is closed (131047): the next attempt sends the template equivalent
ALTER TABLE messages ADD COLUMN force_template boolean NOT NULL DEFAULT false;
-- the artist was told this message failed (at most once per message)
ALTER TABLE messages ADD COLUMN artist_notified_at timestamptz;

-- "is an older message to this recipient still unsent?"
CREATE INDEX messages_unsent_order_idx ON messages (artist_id, wa_id, send_seq)
    WHERE direction = 'out' AND status = 'queued';
-- "when did this recipient last write to this artist?" (the 24 h window)
CREATE INDEX messages_inbound_wa_idx ON messages (artist_id, wa_id, created_at DESC)
    WHERE direction = 'in';

-- The pacing limiter every sender replica shares: one row per key ("number:<phone_number_id>",
-- "pair:<phone_number_id>:<wa_id>"), holding the GCRA theoretical arrival time. A sender locks
-- the row, computes its slot from `tat`, moves `tat` on and commits (see shared::sender::pacing).
CREATE TABLE send_pacing (
    key        text PRIMARY KEY,
    tat        timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Inbound media (reference photos): bytes live in MEDIA_DIR under their sha256; this is the record.
CREATE TABLE media (
    id           uuid PRIMARY KEY,
    artist_id    uuid NOT NULL REFERENCES artists(id),
    lead_id      uuid REFERENCES leads(id) ON DELETE CASCADE,
    media_id     text NOT NULL,
    wamid        text,
    mime_type    text NOT NULL,
    sha256       text NOT NULL,
    size_bytes   bigint NOT NULL,
    storage_path text NOT NULL,
    fetched_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (artist_id, media_id)
);
CREATE INDEX media_lead_idx ON media (lead_id, fetched_at);
