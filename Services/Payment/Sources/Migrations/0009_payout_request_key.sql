-- The client's Idempotency-Key kept with the payout it asked for: a retry that
-- reaches us after the key's answer was lost (an instance killed mid-request)
-- finds the payout already made instead of making a second one.
ALTER TABLE payment.payouts ADD COLUMN request_key text;
CREATE UNIQUE INDEX payouts_request_key ON payment.payouts (provider_user_id, request_key) WHERE request_key IS NOT NULL;
