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

-- The outbox table that was created here is now ServiceKit's (OutboxTable,
-- made by the Migrator for every schema).
-- previous checksum: 0437cf0fac70e8e7fb121c13ad64466ef2be0beb08346f19f98e92e127faa6ab
