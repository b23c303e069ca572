-- Sender: when a sender is next expected to look at a queued outbound message. Every visit of its
-- send job sets it to now() (a planned wait moves it ahead); a queued message left unvisited well
-- past it (SEND_STALL_SECS) has lost its job — typically to the broker's x-delivery-limit after
-- repeated crashes, which the handler never sees — and is parked so younger messages to the same
-- recipient stop waiting for it (docs/decisions.md, "A dead-lettered send doesn't block a client").
ALTER TABLE messages ADD COLUMN next_visit_at timestamptz;
