-- Money in integer centavos (PHP). Every movement is a balanced posting in
-- the ledger, written in the transaction of the state change it belongs to.

-- Escrow per booking (seed 4.1 `transactions`).
CREATE TABLE transactions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    booking_id UUID NOT NULL UNIQUE,
    consumer_id UUID NOT NULL,
    provider_id UUID NOT NULL,
    provider_user_id UUID NOT NULL,
    service_title VARCHAR(255) NOT NULL DEFAULT '',
    amount BIGINT NOT NULL CHECK (amount > 0),
    platform_fee BIGINT NOT NULL CHECK (platform_fee >= 0 AND platform_fee <= amount),
    provider_amount BIGINT NOT NULL CHECK (provider_amount = amount - platform_fee),
    refunded_amount BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
    released_amount BIGINT NOT NULL DEFAULT 0 CHECK (released_amount >= 0 AND released_amount + refunded_amount <= amount),
    released_fee BIGINT NOT NULL DEFAULT 0,
    currency CHAR(3) NOT NULL DEFAULT 'PHP',
    escrow_status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (escrow_status IN ('pending', 'held', 'released', 'refunded', 'cancelled')),
    disputed BOOLEAN NOT NULL DEFAULT false,
    payment_method VARCHAR(20),
    payment_provider VARCHAR(20) NOT NULL DEFAULT 'paymongo',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    held_at TIMESTAMPTZ,
    released_at TIMESTAMPTZ,
    refunded_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX transactions_consumer_idx ON transactions (consumer_id, created_at DESC);
CREATE INDEX transactions_provider_idx ON transactions (provider_user_id, created_at DESC);

-- The ledger: one row per line of a posting.
CREATE TABLE ledger_entries (
    id BIGSERIAL PRIMARY KEY,
    posting_id UUID NOT NULL,
    kind VARCHAR(20) NOT NULL CHECK (kind IN ('hold', 'release', 'refund', 'payout')),
    account VARCHAR(80) NOT NULL,
    transaction_id UUID REFERENCES transactions (id),
    amount BIGINT NOT NULL CHECK (amount <> 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account);
CREATE INDEX ledger_entries_posting_idx ON ledger_entries (posting_id);
CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (transaction_id);

-- The database itself refuses an unbalanced posting: checked at commit,
-- when every line of it is in.
CREATE FUNCTION ledger_posting_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total BIGINT;
BEGIN
    SELECT COALESCE(sum(amount), 0) INTO total FROM payment.ledger_entries WHERE posting_id = NEW.posting_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger posting % does not balance (sum %)', NEW.posting_id, total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_posting_balanced();

-- The ledger is append-only.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are never changed or removed' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- Events out (DESIGN "Contracts"), as in every service.

-- The outbox table that was created here is now ServiceKit's (OutboxTable,
-- made by the Migrator for every schema).
-- previous checksum: 452a528ef6452058d5d22f14818d8868c63687c5ecb0a66e9d208dbc2aab58b0
