-- Micro-loans (seed 4.1 `micro_loans`): a provider asks, an admin approves,
-- the principal goes to their balance, repayments come out of it monthly.
CREATE TABLE micro_loans (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    provider_user_id UUID NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    -- Flat interest per month in basis points (150 = 1.5 %).
    monthly_rate_bps INT NOT NULL CHECK (monthly_rate_bps BETWEEN 0 AND 1000),
    term_months INT NOT NULL CHECK (term_months BETWEEN 1 AND 12),
    purpose TEXT NOT NULL DEFAULT '',
    trust_score INT NOT NULL,
    status VARCHAR(10) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'rejected', 'active', 'repaid')),
    decided_by UUID,
    note TEXT,
    approved_at TIMESTAMPTZ,
    disbursed_at TIMESTAMPTZ,
    due_date TIMESTAMPTZ,
    repaid_at TIMESTAMPTZ,
    -- When a repayment could not be taken whole, the next try (one at a time).
    collection_retry_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- One loan asked for or being repaid per provider.
CREATE UNIQUE INDEX micro_loans_one_open ON micro_loans (provider_user_id) WHERE status IN ('pending', 'active');

CREATE TABLE loan_installments (
    loan_id UUID NOT NULL REFERENCES micro_loans (id),
    number INT NOT NULL CHECK (number >= 1),
    due_date TIMESTAMPTZ NOT NULL,
    principal BIGINT NOT NULL CHECK (principal >= 0),
    interest BIGINT NOT NULL CHECK (interest >= 0),
    paid_principal BIGINT NOT NULL DEFAULT 0 CHECK (paid_principal >= 0 AND paid_principal <= principal),
    paid_interest BIGINT NOT NULL DEFAULT 0 CHECK (paid_interest >= 0 AND paid_interest <= interest),
    paid_at TIMESTAMPTZ,
    PRIMARY KEY (loan_id, number)
);
CREATE INDEX loan_installments_unpaid_idx ON loan_installments (due_date) WHERE paid_at IS NULL;
