-- Versions of the completion model (`POST /v1/ai/trust-score/predict`);
-- one active per kind. `ai-service train` adds versions from the platform's
-- own bookings.
CREATE TABLE models (
    version INT PRIMARY KEY,
    kind VARCHAR(40) NOT NULL DEFAULT 'completion',
    -- Logistic-regression weights in the order of CompletionModel.features.
    weights JSONB NOT NULL,
    auc DOUBLE PRECISION NOT NULL,
    samples INT NOT NULL,
    source VARCHAR(20) NOT NULL CHECK (source IN ('synthetic', 'platform')),
    active BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX models_one_active ON models (kind) WHERE active;

-- The first model, before the platform has a history of its own: trained by
-- `ai-service train --synthetic 2000` on the documented synthetic history
-- (SyntheticHistory: 2,000 providers, 31,310 bookings); held-out AUC 0.703.
INSERT INTO models (version, kind, weights, auc, samples, source, active) VALUES (1, 'completion',
    '[-1.1486514402522328,0.6698555870990711,1.2795630956209436,1.5720183375118597,-0.4292352759859452,1.0495732764936825,-0.2598037040030285,-0.5334964773390913]',
    0.703, 31310, 'synthetic', true);
