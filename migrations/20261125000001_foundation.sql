-- Foundation schema: tenants, leads and their history, transcript, dedup, outbox, reminders, tokens, audit.

CREATE TABLE artists (
    id               uuid PRIMARY KEY,
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name             text NOT NULL,
    phone_number_id  text NOT NULL UNIQUE,
    artist_wa_id     text,
    timezone         text NOT NULL,
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- the whole validated configuration (ArtistConfig), defaults filled in
    config           jsonb NOT NULL,
    -- set when the sender must stop for this artist (e.g. WhatsApp token expired, error 190)
    sending_paused_at     timestamptz,
    sending_paused_reason text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE leads (
    id               uuid PRIMARY KEY,
    artist_id        uuid NOT NULL REFERENCES artists(id),
    wa_id            text NOT NULL,
    name             text,
    status           text NOT NULL CHECK (status IN (
        'NEW', 'QUALIFYING', 'PENDING_APPROVAL', 'NEEDS_ARTIST_REPLY', 'NEEDS_FOLLOW_UP',
        'TOUR_CONVERSION_OFFERED', 'WAITLISTED', 'OPTOUT', 'ABANDONED', 'STALE',
        'AWAITING_DEPOSIT', 'DEPOSIT_PAID', 'DEPOSIT_EXPIRED', 'BOOKING_PENDING', 'BOOKED',
        'COLLECTING_TIME_WINDOWS', 'REJECTED', 'CANCELLED', 'REFUNDED')),
    step             text,
    -- the conversation engine's state (answers, references, counters); see shared::conversation
    state            jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- latest answers, denormalised from state for the API and console
    answers          jsonb NOT NULL DEFAULT '{}'::jsonb,
    estimate         jsonb,
    last_inbound_at  timestamptz,
    last_outbound_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- one timestamp per lifecycle event (first time reached)
    qualifying_at        timestamptz,
    pending_approval_at  timestamptz,
    approved_at          timestamptz,
    rejected_at          timestamptz,
    handover_at          timestamptz,
    opted_out_at         timestamptz,
    abandoned_at         timestamptz,
    deposit_requested_at timestamptz,
    deposit_paid_at      timestamptz,
    booked_at            timestamptz,
    cancelled_at         timestamptz,
    refunded_at          timestamptz,
    UNIQUE (artist_id, wa_id)
);
CREATE INDEX leads_artist_created_idx ON leads (artist_id, created_at DESC, id DESC);
CREATE INDEX leads_created_idx ON leads (created_at DESC, id DESC);
CREATE INDEX leads_status_updated_idx ON leads (status, updated_at);
CREATE INDEX leads_wa_id_idx ON leads (wa_id);

CREATE TABLE lead_status_history (
    id          bigserial PRIMARY KEY,
    lead_id     uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    from_status text NOT NULL,
    to_status   text NOT NULL,
    cause       text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_status_history_lead_idx ON lead_status_history (lead_id, id);

-- every answer ever given; the latest row per (lead, key) wins
CREATE TABLE lead_answers (
    id                bigserial PRIMARY KEY,
    lead_id           uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    key               text NOT NULL,
    value             jsonb NOT NULL,
    raw               text,
    source_message_id text,
    at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_answers_lead_key_idx ON lead_answers (lead_id, key, id DESC);

-- the transcript: inbound and outbound messages with provider ids and delivery status
CREATE TABLE messages (
    id            uuid PRIMARY KEY,
    lead_id       uuid REFERENCES leads(id) ON DELETE CASCADE,
    artist_id     uuid NOT NULL REFERENCES artists(id),
    direction     text NOT NULL CHECK (direction IN ('in', 'out')),
    recipient     text NOT NULL CHECK (recipient IN ('client', 'artist')),
    wa_id         text NOT NULL,
    kind          text NOT NULL,
    text          text,
    body          jsonb NOT NULL DEFAULT '{}'::jsonb,
    provider_id   text,
    status        text NOT NULL CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'read', 'failed', 'undeliverable')),
    error_code    integer,
    error_detail  text,
    attempts      integer NOT NULL DEFAULT 0,
    -- a sender holds this lease while calling the API, so two deliveries of one job never both send
    lease_until   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    provider_at   timestamptz,
    sent_at       timestamptz,
    delivered_at  timestamptz,
    read_at       timestamptz,
    failed_at     timestamptz
);
CREATE UNIQUE INDEX messages_provider_id_idx ON messages (provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX messages_lead_idx ON messages (lead_id, created_at, id);

-- idempotent consumers: a provider's id is inserted in the same transaction as the change it caused
CREATE TABLE processed_events (
    provider     text NOT NULL,
    id           text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, id)
);

-- commit, then side effects: rows written with the state change, published by the relay
CREATE TABLE outbox (
    id           uuid PRIMARY KEY,
    seq          bigserial NOT NULL UNIQUE,
    topic        text NOT NULL,
    payload      jsonb NOT NULL,
    headers      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text
);
CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inkline_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify_trigger AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

CREATE TABLE reminders (
    id           uuid PRIMARY KEY,
    lead_id      uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    kind         text NOT NULL,
    due_at       timestamptz NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    fired_at     timestamptz,
    cancelled_at timestamptz
);
CREATE INDEX reminders_due_idx ON reminders (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX reminders_lead_idx ON reminders (lead_id, kind);

-- artist action links: only a hash of the token is stored
CREATE TABLE action_tokens (
    id          uuid PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    lead_id     uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    action      text NOT NULL,
    for_status  text NOT NULL,
    params      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX action_tokens_lead_idx ON action_tokens (lead_id);

-- audit trail: everything notable that is not a plain state change
CREATE TABLE system_events (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    artist_id  uuid REFERENCES artists(id),
    lead_id    uuid REFERENCES leads(id) ON DELETE CASCADE,
    kind       text NOT NULL,
    severity   text NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
    detail     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX system_events_lead_idx ON system_events (lead_id, id);
CREATE INDEX system_events_kind_idx ON system_events (kind, at DESC);
