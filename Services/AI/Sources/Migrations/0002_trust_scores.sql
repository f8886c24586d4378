-- The current score per provider, and every change (seed 4.1 `trust_scores_history`).
CREATE TABLE trust_scores (
    provider_id UUID PRIMARY KEY,
    user_id UUID NOT NULL,
    score INT NOT NULL CHECK (score BETWEEN 0 AND 1000),
    factors JSONB NOT NULL,
    inputs JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX trust_scores_user_idx ON trust_scores (user_id);

CREATE TABLE trust_scores_history (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    provider_id UUID NOT NULL,
    old_score INT,
    new_score INT NOT NULL,
    change_reason VARCHAR(255) NOT NULL,
    factors JSONB NOT NULL,
    -- The moment of the change (recalculations of one provider take turns).
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX trust_scores_history_user_idx ON trust_scores_history (user_id, created_at DESC);
