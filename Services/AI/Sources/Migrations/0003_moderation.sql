-- Reviews and chat messages flagged high-risk (paying outside the platform,
-- scams), for an admin to look at; one item per reviewed thing.
CREATE TABLE moderation_items (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    source VARCHAR(10) NOT NULL CHECK (source IN ('review', 'chat')),
    source_id UUID NOT NULL,
    author_id UUID NOT NULL,
    text TEXT NOT NULL,
    flags JSONB NOT NULL,
    risk_level VARCHAR(10) NOT NULL,
    status VARCHAR(10) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'actioned')),
    note TEXT,
    decided_by UUID,
    decided_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (source, source_id)
);
CREATE INDEX moderation_items_open_idx ON moderation_items (created_at) WHERE status = 'open';
