-- The in-app inbox: what a user sees under GET /v1/notifications.
CREATE TABLE notifications (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL,
    type VARCHAR(40) NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    data JSONB NOT NULL DEFAULT '{}',
    -- The job that made it: a job run twice makes one notification.
    source_job_id VARCHAR(128),
    read_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (source_job_id, user_id)
);
CREATE INDEX notifications_inbox_idx ON notifications (user_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL AND deleted_at IS NULL;

-- Where to reach a user, kept from user.registered / user.updated events.
CREATE TABLE recipients (
    user_id UUID PRIMARY KEY,
    email VARCHAR(255),
    phone VARCHAR(20),
    full_name VARCHAR(255),
    locale VARCHAR(8) NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'fil')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- FCM registration tokens, one per device.
CREATE TABLE device_tokens (
    token TEXT PRIMARY KEY,
    user_id UUID NOT NULL,
    platform VARCHAR(10) NOT NULL CHECK (platform IN ('android', 'ios', 'web')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX device_tokens_user_idx ON device_tokens (user_id);

-- A user's choices: channel off for a type. Absent row = the type's default.
CREATE TABLE preferences (
    user_id UUID NOT NULL,
    type VARCHAR(40) NOT NULL,
    channel VARCHAR(10) NOT NULL CHECK (channel IN ('push', 'email', 'sms')),
    enabled BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, type, channel)
);

-- One row per message handed to a provider. (job id, channel, recipient)
-- is unique, so a job that runs again does not send twice what was sent.
CREATE TABLE deliveries (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id VARCHAR(128) NOT NULL,
    channel VARCHAR(10) NOT NULL,
    recipient TEXT NOT NULL,
    template VARCHAR(40) NOT NULL,
    status VARCHAR(12) NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'skipped')),
    provider_message_id TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (job_id, channel, recipient)
);
