import Foundation

/// A chat room between a consumer and a provider (`/v1/chats`).
public struct ChatRoomDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var consumerId: UUID
    @LowercaseUUID public var providerId: UUID
    @LowercaseUUID public var providerUserId: UUID
    /// Lower-case UUID of the booking the room is about, if any.
    public var bookingId: String?
    public var consumerName: String
    public var providerName: String
    /// Messages from the other side the caller has not read.
    public var unreadCount: Int
    public var lastMessageAt: String?
    public var lastMessagePreview: String?
    public var createdAt: String

    public init(id: UUID, consumerId: UUID, providerId: UUID, providerUserId: UUID, bookingId: String?, consumerName: String,
                providerName: String, unreadCount: Int, lastMessageAt: String?, lastMessagePreview: String?, createdAt: String) {
        self.id = id
        self.consumerId = consumerId
        self.providerId = providerId
        self.providerUserId = providerUserId
        self.bookingId = bookingId
        self.consumerName = consumerName
        self.providerName = providerName
        self.unreadCount = unreadCount
        self.lastMessageAt = lastMessageAt
        self.lastMessagePreview = lastMessagePreview
        self.createdAt = createdAt
    }
}

public enum ChatMessageType: String, Codable, Sendable, CaseIterable {
    case text, image, file
}

/// One message. `cursor` orders messages in a room; pass it as `before`.
public struct ChatMessageDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var roomId: UUID
    @LowercaseUUID public var senderId: UUID
    public var type: ChatMessageType
    public var content: String
    public var fileId: String?
    public var cursor: String
    public var createdAt: String

    public init(id: UUID, roomId: UUID, senderId: UUID, type: ChatMessageType, content: String, fileId: String?, cursor: String, createdAt: String) {
        self.id = id
        self.roomId = roomId
        self.senderId = senderId
        self.type = type
        self.content = content
        self.fileId = fileId
        self.cursor = cursor
        self.createdAt = createdAt
    }
}

/// A page of messages, newest first; `nextCursor` fetches older ones.
public struct ChatMessagePage: Codable, Sendable, Equatable {
    public var messages: [ChatMessageDTO]
    public var nextCursor: String?
    public init(messages: [ChatMessageDTO], nextCursor: String?) {
        self.messages = messages
        self.nextCursor = nextCursor
    }
}

/// `POST /v1/chats`: a consumer opens a room with a provider; either side
/// opens the room of a booking.
public struct OpenChatRequest: Codable, Sendable {
    public var providerId: String?
    public var bookingId: String?
    public init(providerId: String? = nil, bookingId: String? = nil) {
        self.providerId = providerId
        self.bookingId = bookingId
    }
}

/// `POST /v1/chats/:id/messages` (also a `send` frame on the WebSocket).
public struct SendMessageRequest: Codable, Sendable {
    public var type: String?
    public var content: String?
    public var fileId: String?
    public init(type: String? = nil, content: String? = nil, fileId: String? = nil) {
        self.type = type
        self.content = content
        self.fileId = fileId
    }
}

/// `POST /v1/chats/:id/read`: read up to `cursor` (default: everything).
public struct ChatReadRequest: Codable, Sendable {
    public var cursor: String?
    public init(cursor: String? = nil) { self.cursor = cursor }
}

/// `POST /v1/chats/ticket`: opens one socket (`GET /v1/chats/live?ticket=`)
/// until `expiresAt` (30 s), for clients that cannot send `Authorization`
/// on a WebSocket (browsers).
public struct ChatTicketDTO: Codable, Sendable, Equatable {
    public var ticket: String
    public var expiresAt: String
    public init(ticket: String, expiresAt: String) {
        self.ticket = ticket
        self.expiresAt = expiresAt
    }
}

/// What the chat WebSocket (`GET /v1/chats/live`) carries. Server → client:
/// `message` (a new message in one of the caller's rooms) and `read` (the
/// other side read up to `cursor`); client → server: `send` and `read`.
public struct ChatSocketFrame: Codable, Sendable, Equatable {
    public var type: String
    public var roomId: String?
    public var message: ChatMessageDTO?
    public var cursor: String?
    public var content: String?
    public var messageType: String?
    public var fileId: String?
    public var error: String?

    public init(type: String, roomId: String? = nil, message: ChatMessageDTO? = nil, cursor: String? = nil, content: String? = nil,
                messageType: String? = nil, fileId: String? = nil, error: String? = nil) {
        self.type = type
        self.roomId = roomId
        self.message = message
        self.cursor = cursor
        self.content = content
        self.messageType = messageType
        self.fileId = fileId
        self.error = error
    }
}

/// A text message was sent (core → ai, for risk checks).
public struct ChatMessageEvent: Codable, Sendable {
    public var message: ChatMessageDTO
    public init(message: ChatMessageDTO) { self.message = message }
}

extension EventType {
    public static let chatMessageSent = "chat.message-sent"
}
