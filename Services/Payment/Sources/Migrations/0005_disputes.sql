-- Disputes: the consumer contests a job before the escrow is released; an
-- open dispute freezes release until an admin resolves it.
CREATE TABLE disputes (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    transaction_id UUID NOT NULL REFERENCES transactions (id),
    opened_by UUID NOT NULL,
    reason TEXT NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    outcome VARCHAR(20) CHECK (outcome IN ('release', 'refund', 'partial')),
    refund_amount BIGINT CHECK (refund_amount > 0),
    resolved_by UUID,
    resolution_note TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX disputes_one_open ON disputes (transaction_id) WHERE status = 'open';
