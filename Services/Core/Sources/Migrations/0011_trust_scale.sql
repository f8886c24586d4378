-- Trust scores are 0–1000 (seed 4.4: search filters `trustScore >= 800`),
-- set by the AI service (`trust-score.changed`).
ALTER TABLE providers DROP CONSTRAINT providers_trust_score_check;
ALTER TABLE providers ADD CONSTRAINT providers_trust_score_check CHECK (trust_score BETWEEN 0 AND 1000);
