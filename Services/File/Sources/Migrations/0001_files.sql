-- Uploaded files: the bytes live in storage (disk or S3) under `storage_key`
-- and the variants' keys; this is what is known of them.
CREATE TABLE files (
    id UUID PRIMARY KEY,
    owner_id UUID NOT NULL,
    purpose VARCHAR(30) NOT NULL CHECK (purpose IN ('avatar', 'portfolio', 'chat_attachment', 'booking_attachment', 'id_document')),
    kind VARCHAR(10) NOT NULL CHECK (kind IN ('jpeg', 'png', 'pdf', 'docx')),
    content_type VARCHAR(100) NOT NULL,
    size BIGINT NOT NULL CHECK (size > 0),
    original_name VARCHAR(255) NOT NULL DEFAULT '',
    sha256 CHAR(64) NOT NULL,
    width INT,
    height INT,
    storage_key TEXT NOT NULL,
    -- name → {key, contentType, size, width, height}
    variants JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ
);
CREATE INDEX files_owner_idx ON files (owner_id, created_at DESC);

-- Who else may see a private file (granted by core for chats and bookings).
CREATE TABLE file_viewers (
    file_id UUID NOT NULL REFERENCES files (id),
    user_id UUID NOT NULL,
    PRIMARY KEY (file_id, user_id)
);

-- Events out (DESIGN "Contracts"), as in every service.
CREATE TABLE outbox (
    id UUID PRIMARY KEY,
    queue VARCHAR(40) NOT NULL,
    event_type VARCHAR(80) NOT NULL,
    payload JSONB NOT NULL,
    request_id VARCHAR(128),
    delay_ms BIGINT NOT NULL DEFAULT 0 CHECK (delay_ms >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ
);
CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;
