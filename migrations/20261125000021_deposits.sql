-- Deposits: one row per attempt — a Stripe Checkout Session we created, or a payment the artist
-- recorded by hand (cash, bank). The lead's status lives on `leads`; this is the money's record.

CREATE TABLE deposits (
    id                  uuid PRIMARY KEY,
    lead_id             uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    -- 1 for the first link, +1 for every new one; part of the Stripe Idempotency-Key
    attempt             integer NOT NULL CHECK (attempt > 0),
    amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    method              text NOT NULL CHECK (method IN ('stripe', 'cash', 'bank')),
    status              text NOT NULL CHECK (status IN (
        'pending', 'processing', 'paid', 'expired', 'failed', 'cancelled', 'refunded')),
    checkout_session_id text UNIQUE,
    url                 text,
    expires_at          timestamptz,
    paid_at             timestamptz,
    payment_intent      text,
    amount_refunded     bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (lead_id, attempt),
    CHECK (method <> 'stripe' OR checkout_session_id IS NOT NULL)
);
-- the expiry sweep: open links whose time has passed
CREATE INDEX deposits_pending_expiry_idx ON deposits (expires_at) WHERE status = 'pending';
-- charge.refunded names the payment intent
CREATE INDEX deposits_payment_intent_idx ON deposits (payment_intent) WHERE payment_intent IS NOT NULL;
