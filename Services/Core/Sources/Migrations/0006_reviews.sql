-- Reviews (seed 4.1): one per completed booking, by its consumer; the
-- provider answers once. Deleted reviews stay for the record, out of sums.
CREATE TABLE reviews (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    booking_id UUID NOT NULL REFERENCES bookings (id),
    reviewer_id UUID NOT NULL REFERENCES profiles (user_id),
    provider_id UUID NOT NULL REFERENCES providers (id),
    rating INT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title VARCHAR(255) NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    response TEXT,
    responded_at TIMESTAMPTZ,
    is_verified BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX reviews_one_per_booking ON reviews (booking_id) WHERE deleted_at IS NULL;
CREATE INDEX reviews_provider_idx ON reviews (provider_id, created_at DESC) WHERE deleted_at IS NULL;
