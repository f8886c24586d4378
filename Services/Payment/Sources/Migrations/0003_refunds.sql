-- Money going back to the consumer at PayMongo: written with the escrow's
-- refund (same transaction), sent to PayMongo by the payment queue.
CREATE TABLE refunds (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    transaction_id UUID NOT NULL REFERENCES transactions (id),
    provider_payment_id TEXT,
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason VARCHAR(40) NOT NULL DEFAULT 'requested_by_customer',
    status VARCHAR(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider_refund_id TEXT,
    failure_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refunds_transaction_idx ON refunds (transaction_id);
