-- The AI service's own copy of what it scores and matches, fed by events
-- (provider.*, booking.*, review.*, dispute.*), never by calls per request.

CREATE TABLE providers (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL,
    category_id UUID NOT NULL,
    category_names TEXT[] NOT NULL DEFAULT '{}',
    business_name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    skills TEXT[] NOT NULL DEFAULT '{}',
    service_areas TEXT[] NOT NULL DEFAULT '{}',
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    hourly_rate BIGINT NOT NULL,
    is_verified BOOLEAN NOT NULL DEFAULT false,
    deleted BOOLEAN NOT NULL DEFAULT false,
    trust_score INT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    -- The source's `updatedAt`: an older snapshot never overwrites a newer one.
    source_updated_at TIMESTAMPTZ NOT NULL,
    -- When this copy changed (matching reloads what changed since).
    changed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX providers_user_idx ON providers (user_id);
CREATE INDEX providers_changed_idx ON providers (changed_at);

CREATE TABLE bookings (
    id UUID PRIMARY KEY,
    provider_id UUID NOT NULL,
    provider_user_id UUID NOT NULL,
    consumer_id UUID NOT NULL,
    status VARCHAR(20) NOT NULL,
    amount BIGINT NOT NULL,
    scheduled_date TIMESTAMPTZ NOT NULL,
    scheduled_end TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    -- When the provider accepted or rejected (response time).
    answered_at TIMESTAMPTZ,
    cancelled_by VARCHAR(20),
    disputed BOOLEAN NOT NULL DEFAULT false,
    ever_disputed BOOLEAN NOT NULL DEFAULT false,
    source_updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX bookings_provider_idx ON bookings (provider_id);
-- Providers already booked at a time are left out of matching.
CREATE INDEX bookings_busy_idx ON bookings (scheduled_date, scheduled_end) WHERE status IN ('accepted', 'in_progress');

CREATE TABLE reviews (
    id UUID PRIMARY KEY,
    provider_id UUID NOT NULL,
    booking_id UUID NOT NULL,
    rating INT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    deleted BOOLEAN NOT NULL DEFAULT false,
    source_updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX reviews_provider_idx ON reviews (provider_id) WHERE NOT deleted;

-- Each event once: a redelivered job changes nothing.
CREATE TABLE processed_events (
    event_id UUID PRIMARY KEY,
    type VARCHAR(80) NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Events out (DESIGN "Contracts"), as in every service.

-- The outbox table that was created here is now ServiceKit's (OutboxTable,
-- made by the Migrator for every schema).
-- previous checksum: aaa4d2dad08a10629219cd4e618af8d2d5495472cd4a8b2f79d778f94b908fa0
