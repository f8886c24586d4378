-- Events leave through the outbox, written in the transaction of the change
-- (DESIGN "Contracts"); `deliver_after` delays a job (expiries, auto-complete).

-- The outbox table that was created here is now ServiceKit's (OutboxTable,
-- made by the Migrator for every schema).
-- previous checksum: 88821b685570c9f192115dac36f86e054231bd334b8070fccf98cb2c11ab7a48
