-- A provider's portfolio: past jobs with photos from the file service.
CREATE TABLE provider_portfolio (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    provider_id UUID NOT NULL REFERENCES providers (id),
    title VARCHAR(120) NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    file_ids UUID[] NOT NULL CHECK (cardinality(file_ids) BETWEEN 1 AND 10),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX provider_portfolio_provider_idx ON provider_portfolio (provider_id, created_at DESC);
