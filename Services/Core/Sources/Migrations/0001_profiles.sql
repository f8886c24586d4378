-- Everyone's profile on the marketplace (seed 4.1 `users`, the parts that are
-- not credentials: those stay in the auth service). Created from the
-- user.registered event, or on first sight of a valid token.
CREATE TABLE profiles (
    user_id UUID PRIMARY KEY,
    email VARCHAR(255) NOT NULL,
    full_name VARCHAR(255) NOT NULL,
    phone VARCHAR(20),
    user_type VARCHAR(20) NOT NULL CHECK (user_type IN ('consumer', 'provider', 'admin')),
    bio TEXT NOT NULL DEFAULT '',
    city VARCHAR(100),
    barangay VARCHAR(100),
    avatar_file_id UUID,
    language VARCHAR(8) NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fil')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
