-- Chats (the seed's MongoDB documents of 4.3 as tables): a room between a
-- consumer and a provider, optionally about one booking; messages in order
-- (`seq`, the cursor); each side's read mark gives its unread count.
CREATE TABLE chat_rooms (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    consumer_id UUID NOT NULL REFERENCES profiles (user_id),
    provider_id UUID NOT NULL REFERENCES providers (id),
    provider_user_id UUID NOT NULL REFERENCES profiles (user_id),
    booking_id UUID REFERENCES bookings (id),
    consumer_read_seq BIGINT NOT NULL DEFAULT 0,
    provider_read_seq BIGINT NOT NULL DEFAULT 0,
    last_message_at TIMESTAMPTZ,
    last_message_preview TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (consumer_id <> provider_user_id)
);
-- One room per pair, and one per booking.
CREATE UNIQUE INDEX chat_rooms_pair ON chat_rooms (consumer_id, provider_id) WHERE booking_id IS NULL;
CREATE UNIQUE INDEX chat_rooms_booking ON chat_rooms (booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX chat_rooms_consumer_idx ON chat_rooms (consumer_id, last_message_at DESC NULLS LAST);
CREATE INDEX chat_rooms_provider_idx ON chat_rooms (provider_user_id, last_message_at DESC NULLS LAST);

CREATE TABLE chat_messages (
    seq BIGSERIAL PRIMARY KEY,
    id UUID NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    room_id UUID NOT NULL REFERENCES chat_rooms (id),
    sender_id UUID NOT NULL REFERENCES profiles (user_id),
    type VARCHAR(10) NOT NULL CHECK (type IN ('text', 'image', 'file')),
    content TEXT NOT NULL DEFAULT '',
    file_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((type = 'text') = (file_id IS NULL))
);
CREATE INDEX chat_messages_room_idx ON chat_messages (room_id, seq DESC);
