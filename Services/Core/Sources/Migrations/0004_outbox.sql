-- Events leave through the outbox, written in the transaction of the change
-- (DESIGN "Contracts"); `deliver_after` delays a job (expiries, auto-complete).
CREATE TABLE outbox (
    id UUID PRIMARY KEY,
    queue VARCHAR(40) NOT NULL,
    event_type VARCHAR(80) NOT NULL,
    payload JSONB NOT NULL,
    request_id VARCHAR(128),
    delay_ms BIGINT NOT NULL DEFAULT 0 CHECK (delay_ms >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;
