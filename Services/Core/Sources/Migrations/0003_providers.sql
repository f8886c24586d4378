-- Pros (seed 4.1 `providers`): one live provider profile per user; money in
-- integer centavos; a soft delete keeps bookings and reviews pointing somewhere.
CREATE TABLE providers (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES profiles (user_id),
    category_id UUID NOT NULL REFERENCES categories (id),
    business_name VARCHAR(255) NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    hourly_rate_centavos BIGINT NOT NULL CHECK (hourly_rate_centavos >= 0),
    service_areas TEXT[] NOT NULL DEFAULT '{}',
    skills TEXT[] NOT NULL DEFAULT '{}',
    latitude DOUBLE PRECISION CHECK (latitude BETWEEN -90 AND 90),
    longitude DOUBLE PRECISION CHECK (longitude BETWEEN -180 AND 180),
    portfolio_url TEXT,
    trust_score INT NOT NULL DEFAULT 0 CHECK (trust_score BETWEEN 0 AND 100),
    response_time_avg_minutes INT,
    completion_rate NUMERIC(5, 2) NOT NULL DEFAULT 0,
    total_jobs_completed INT NOT NULL DEFAULT 0,
    total_reviews INT NOT NULL DEFAULT 0,
    avg_rating NUMERIC(3, 2) NOT NULL DEFAULT 0,
    is_verified BOOLEAN NOT NULL DEFAULT false,
    is_premium BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ,
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE UNIQUE INDEX providers_one_per_user ON providers (user_id) WHERE deleted_at IS NULL;
CREATE INDEX providers_category_idx ON providers (category_id) WHERE deleted_at IS NULL;
