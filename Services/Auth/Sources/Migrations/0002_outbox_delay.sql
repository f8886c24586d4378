-- The shared outbox relay can delay a job (ServiceKit's OutboxWriter `delay`).
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS delay_ms BIGINT NOT NULL DEFAULT 0 CHECK (delay_ms >= 0);

-- The outbox table is now made whole (with delay_ms) by ServiceKit's OutboxTable; this
-- file only adds the column to schemas made before that.
-- previous checksum: 7321d8ecb16491c6b514f30c2bbc15c8f02c6a37513ca84680e1ea2c01fa9cf4
