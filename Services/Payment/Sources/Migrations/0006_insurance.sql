-- New kinds of ledger postings: job cover and loans.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
    CHECK (kind IN ('hold', 'release', 'refund', 'payout', 'insurance', 'loan'));

-- Job cover (seed 4.1 `insurance_policies`): bought by the booking's
-- provider, one per booking; the premium is taken from the release.
CREATE TABLE insurance_policies (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    policy_number VARCHAR(40) NOT NULL UNIQUE,
    transaction_id UUID NOT NULL UNIQUE REFERENCES transactions (id),
    booking_id UUID NOT NULL,
    provider_id UUID NOT NULL,
    provider_user_id UUID NOT NULL,
    consumer_id UUID NOT NULL,
    plan VARCHAR(10) NOT NULL CHECK (plan IN ('basic', 'plus')),
    coverage_amount BIGINT NOT NULL CHECK (coverage_amount > 0),
    premium BIGINT NOT NULL CHECK (premium > 0),
    premium_charged BIGINT NOT NULL DEFAULT 0 CHECK (premium_charged >= 0 AND premium_charged <= premium),
    claimed_amount BIGINT NOT NULL DEFAULT 0 CHECK (claimed_amount >= 0 AND claimed_amount <= coverage_amount),
    -- void: the booking was called off (or fully refunded) before release; nothing charged.
    status VARCHAR(10) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'void')),
    valid_from TIMESTAMPTZ NOT NULL,
    valid_until TIMESTAMPTZ NOT NULL CHECK (valid_until > valid_from),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX insurance_policies_provider_idx ON insurance_policies (provider_user_id, created_at DESC);
CREATE INDEX insurance_policies_consumer_idx ON insurance_policies (consumer_id, created_at DESC);

-- Claims on a policy by the customer; an admin approves (the money is sent
-- to the account given, sealed like payout accounts) or rejects.
CREATE TABLE insurance_claims (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    policy_id UUID NOT NULL REFERENCES insurance_policies (id),
    claimant_id UUID NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    description TEXT NOT NULL,
    destination_sealed BYTEA NOT NULL,
    destination_hint VARCHAR(40) NOT NULL,
    status VARCHAR(10) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'rejected')),
    paid_amount BIGINT CHECK (paid_amount > 0),
    decided_by UUID,
    decided_at TIMESTAMPTZ,
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX insurance_claims_one_open ON insurance_claims (policy_id) WHERE status = 'open';
CREATE INDEX insurance_claims_open_idx ON insurance_claims (created_at) WHERE status = 'open';
