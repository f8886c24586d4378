-- The shared outbox relay can delay a job (ServiceKit's OutboxWriter `delay`).
ALTER TABLE outbox ADD COLUMN delay_ms BIGINT NOT NULL DEFAULT 0 CHECK (delay_ms >= 0);
