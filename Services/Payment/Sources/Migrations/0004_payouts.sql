-- Payouts: a provider asks for (part of) their balance; an admin approves.
-- Asking reserves the amount in the ledger (provider_payable → payouts_pending),
-- so the same balance can never be asked for twice.
CREATE TABLE payouts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    provider_user_id UUID NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    method VARCHAR(20) NOT NULL CHECK (method IN ('instapay', 'pesonet', 'gcash')),
    -- Account name, number and bank, sealed with AES-256-GCM (PAYMENT_DATA_KEY).
    destination_sealed BYTEA NOT NULL,
    destination_hint VARCHAR(40) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'paid', 'rejected')),
    decided_by UUID,
    decided_at TIMESTAMPTZ,
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payouts_provider_idx ON payouts (provider_user_id, created_at DESC);
CREATE INDEX payouts_requested_idx ON payouts (created_at) WHERE status = 'requested';
