-- A refund PayMongo took but has not settled yet ('processing'), until its
-- `payment.refund.updated` webhook says succeeded or failed.
ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check CHECK (status IN ('pending', 'processing', 'succeeded', 'failed'));
CREATE INDEX refunds_provider_idx ON refunds (provider_refund_id) WHERE provider_refund_id IS NOT NULL;
