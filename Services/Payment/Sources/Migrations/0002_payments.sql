-- Payments at PayMongo (seed 4.1 `payments`): one payment intent per try;
-- at most one try open per escrow.
CREATE TABLE payments (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    transaction_id UUID NOT NULL REFERENCES transactions (id),
    intent_id TEXT NOT NULL UNIQUE,
    client_key TEXT NOT NULL,
    method VARCHAR(10) NOT NULL CHECK (method IN ('gcash', 'card')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    status VARCHAR(30) NOT NULL DEFAULT 'awaiting_next_action'
        CHECK (status IN ('awaiting_next_action', 'succeeded', 'failed')),
    redirect_url TEXT,
    provider_payment_id TEXT,
    failure_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX payments_one_open ON payments (transaction_id) WHERE status = 'awaiting_next_action';

-- Webhook events seen: a replayed event id changes nothing.
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
