-- Issue 11 (parts 4 and 7): one bad row doesn't stop a loop, and nothing grows without bound.
--
-- Per-row failures of the time-driven loops (reminders, deposit-expiry sweep, outbox relay): a
-- row whose own processing fails is counted (`attempts`, `last_error`), retried from
-- `next_attempt_at` on (growing back-off), and after ROW_MAX_ATTEMPTS parked (`parked_at`,
-- `parked_reason`) until an operator retries it (`inkline parked retry`). A database outage
-- counts nothing. See shared::store::parking.

ALTER TABLE reminders ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE reminders ADD COLUMN last_error text;
ALTER TABLE reminders ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE reminders ADD COLUMN parked_at timestamptz;
ALTER TABLE reminders ADD COLUMN parked_reason text;
DROP INDEX reminders_due_idx;
CREATE INDEX reminders_due_idx ON reminders (due_at)
    WHERE fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL;

-- `attempts` and `last_error` exist since the foundation.
ALTER TABLE outbox ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE outbox ADD COLUMN parked_at timestamptz;
ALTER TABLE outbox ADD COLUMN parked_reason text;
DROP INDEX outbox_unpublished_idx;
CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL AND parked_at IS NULL;

-- Deposits are the money's record; these columns belong to the expiry sweep only (hence the
-- prefix, and `attempt` already means the deposit attempt).
ALTER TABLE deposits ADD COLUMN expiry_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE deposits ADD COLUMN expiry_last_error text;
ALTER TABLE deposits ADD COLUMN expiry_next_attempt_at timestamptz;
ALTER TABLE deposits ADD COLUMN expiry_parked_at timestamptz;
ALTER TABLE deposits ADD COLUMN expiry_parked_reason text;

-- "What is parked?" stays cheap however large the tables get.
CREATE INDEX reminders_parked_idx ON reminders (parked_at) WHERE parked_at IS NOT NULL;
CREATE INDEX outbox_parked_idx ON outbox (parked_at) WHERE parked_at IS NOT NULL;
CREATE INDEX deposits_expiry_parked_idx ON deposits (expiry_parked_at) WHERE expiry_parked_at IS NOT NULL;

-- Retention (RETENTION_* settings, run by the reminders role) deletes by age in small batches;
-- these indexes let each batch find its oldest rows without scanning the table.
CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);
CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX system_events_at_idx ON system_events (at);
CREATE INDEX action_tokens_expires_idx ON action_tokens (expires_at);
