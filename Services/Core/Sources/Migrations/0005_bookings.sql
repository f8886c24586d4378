-- Bookings (seed 4.1): a consumer's request to a provider for a time slot.
-- Money in integer centavos; the slot is [scheduled_date, scheduled_end).
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

CREATE TABLE bookings (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    consumer_id UUID NOT NULL REFERENCES profiles (user_id),
    provider_id UUID NOT NULL REFERENCES providers (id),
    provider_user_id UUID NOT NULL REFERENCES profiles (user_id),
    category_id UUID NOT NULL REFERENCES categories (id),
    title VARCHAR(255) NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    location TEXT,
    scheduled_date TIMESTAMPTZ NOT NULL,
    scheduled_end TIMESTAMPTZ NOT NULL,
    estimated_minutes INT NOT NULL CHECK (estimated_minutes BETWEEN 15 AND 1440),
    proposed_rate_centavos BIGINT NOT NULL CHECK (proposed_rate_centavos >= 0),
    estimated_total_centavos BIGINT NOT NULL CHECK (estimated_total_centavos >= 0),
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'rejected', 'in_progress', 'completed', 'cancelled', 'expired')),
    expires_at TIMESTAMPTZ,
    accepted_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    work_done_at TIMESTAMPTZ,
    auto_complete_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    cancelled_at TIMESTAMPTZ,
    cancelled_by VARCHAR(20) CHECK (cancelled_by IN ('consumer', 'provider', 'admin', 'system')),
    reason TEXT,
    disputed BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (scheduled_end > scheduled_date),
    CHECK (consumer_id <> provider_user_id),
    -- No double booking: a provider never holds two confirmed jobs whose
    -- slots overlap, however many requests race to accept.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        provider_id WITH =, tstzrange(scheduled_date, scheduled_end, '[)') WITH &&
    ) WHERE (status IN ('accepted', 'in_progress'))
);
CREATE INDEX bookings_consumer_idx ON bookings (consumer_id, created_at DESC);
CREATE INDEX bookings_provider_user_idx ON bookings (provider_user_id, created_at DESC);
CREATE INDEX bookings_status_idx ON bookings (status);
