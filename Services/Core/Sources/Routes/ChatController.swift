import Foundation
import Hummingbird
import HummingbirdWebSocket
import ServiceKit
import TrustTradeDTO

/// `/v1/chats`: rooms between a consumer and a provider, their messages
/// (newest first, by cursor), read marks, and `GET /v1/chats/live`, a
/// WebSocket that brings the caller's new messages and read marks as they
/// happen and takes `send` and `read` frames.
public struct ChatController<Context: ServiceRequestContext & WebSocketRequestContext>: Sendable {
    let chats: ChatStore
    let hub: ChatHub
    let stats: DailyStats
    let profiles: ProfileService
    let files: FileDirectory

    public init(chats: ChatStore, hub: ChatHub, stats: DailyStats, profiles: ProfileService, files: FileDirectory) {
        self.chats = chats
        self.hub = hub
        self.stats = stats
        self.profiles = profiles
        self.files = files
    }

    /// `group` requires a signed-in user.
    public func addRoutes(to group: RouterGroup<Context>) {
        group.ws("live", shouldUpgrade: { request, context in
            _ = try context.requireIdentity()
            // A plain GET is not a socket: without this it got an empty 200.
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                throw APIError(.upgradeRequired, code: .upgradeRequired, message: "GET /v1/chats/live is a WebSocket: send Connection: Upgrade and Upgrade: websocket")
            }
            return .upgrade([:])
        }, onUpgrade: live)
        group.get(use: list)
        group.post(use: open)
        group.get(":id", use: show)
        group.get(":id/messages", use: messages)
        group.post(":id/messages", use: send)
        group.post(":id/read", use: read)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Envelope<[ChatRoomDTO]> {
        let identity = try context.requireIdentity()
        let page = try request.pageRequest()
        let (rooms, total) = try await chats.rooms(for: identity.userId, page: page)
        return Envelope(rooms, page: page, total: total)
    }

    @Sendable func open(_ request: Request, context: Context) async throws -> Envelope<ChatRoomDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: OpenChatRequest.self, context: context)
        var v = Validator()
        let providerId = body.providerId.flatMap(UUID.init(uuidString:))
        let bookingId = body.bookingId.flatMap(UUID.init(uuidString:))
        v.check(body.providerId == nil || providerId != nil, "providerId", "Provider id must be a UUID")
        v.check(body.bookingId == nil || bookingId != nil, "bookingId", "Booking id must be a UUID")
        v.check(body.providerId != nil || body.bookingId != nil, "providerId", "Give the provider to talk to, or the booking")
        try v.validate()
        // The caller's profile row (made now if the registration event lags).
        _ = try await profiles.profile(of: identity, requestId: context.requestId)
        let (room, created) = try await Self.mapped { try await chats.open(by: identity, providerId: providerId, bookingId: bookingId) }
        return Envelope(room, status: created ? .created : .ok)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<ChatRoomDTO> {
        let identity = try context.requireIdentity()
        guard let room = try await chats.room(try Self.id(context), for: identity.userId) else { throw APIError.notFound("No such chat") }
        return Envelope(room)
    }

    @Sendable func messages(_ request: Request, context: Context) async throws -> Envelope<ChatMessagePage> {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        let query = request.uri.queryParameters
        var v = Validator()
        var before: Int64?
        if let raw = query.get("before") {
            before = ChatCursor.decode(raw)
            v.check(before != nil, "before", "before must be a cursor from an earlier page")
        }
        var limit = 50
        if let raw = query.get("limit") {
            let parsed = Int(raw)
            v.check(parsed.map { (1...100).contains($0) } ?? false, "limit", "limit must be 1 to 100")
            limit = parsed ?? limit
        }
        try v.validate()
        return Envelope(try await Self.mapped { try await chats.messages(room: id, for: identity.userId, before: before, limit: limit) })
    }

    @Sendable func send(_ request: Request, context: Context) async throws -> Envelope<ChatMessageDTO> {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        let draft = try ChatMessageDraft.validate(try await request.decodeJSON(as: SendMessageRequest.self, context: context))
        return Envelope(try await deliver(draft, room: id, from: identity.userId, requestId: context.requestId), status: .created)
    }

    @Sendable func read(_ request: Request, context: Context) async throws -> Envelope<ChatSocketFrame> {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        let body = try await request.decodeOptionalJSON(as: ChatReadRequest.self, default: ChatReadRequest(), context: context)
        return Envelope(try await markRead(room: id, by: identity.userId, cursor: body.cursor))
    }

    func deliver(_ draft: ChatMessageDraft, room: UUID, from sender: UUID, requestId: String) async throws -> ChatMessageDTO {
        let attachment = draft.fileId.flatMap(UUID.init(uuidString:))
        if let attachment {
            try await files.verify(attachment, owner: sender, purposes: ["chat_attachment"], field: "fileId", requestId: requestId)
        }
        let (message, people) = try await Self.mapped { try await chats.send(draft, room: room, from: sender) }
        if let attachment {
            // The other side may now open it.
            try await files.share(attachment, with: people.filter { $0 != sender }, requestId: requestId)
        }
        await hub.publish(ChatSocketFrame(type: "message", roomId: room.uuidString.lowercased(), message: message), to: people)
        await stats.count(.messagesSent)
        return message
    }

    func markRead(room: UUID, by userId: UUID, cursor: String?) async throws -> ChatSocketFrame {
        var upTo: Int64?
        if let cursor {
            guard let seq = ChatCursor.decode(cursor) else { throw APIError.validation("cursor", "cursor must be a message cursor") }
            upTo = seq
        }
        let (seq, other) = try await Self.mapped { try await chats.markRead(room: room, by: userId, upTo: upTo) }
        let frame = ChatSocketFrame(type: "read", roomId: room.uuidString.lowercased(), cursor: ChatCursor.encode(max(seq, 1)))
        // The other side sees their messages were read.
        await hub.publish(frame, to: [other])
        return frame
    }

    /// The live socket: frames from the hub out; `send` / `read` frames in,
    /// answered with an `error` frame when refused (the socket stays open).
    @Sendable func live(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, _ ws: WebSocketRouterContext<Context>) async throws {
        guard let identity = ws.requestContext.identity else { return }
        let frames = hub.frames(for: identity.userId)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await frame in frames { try await outbound.write(.text(frame)) }
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: 64 * 1024) {
                    guard case .text(let text) = message else { continue }
                    let reply = await handle(text, from: identity.userId)
                    if let reply, let json = try? String(decoding: APIJSON.encoder().encode(reply), as: UTF8.self) {
                        try await outbound.write(.text(json))
                    }
                }
            }
            // When the client goes, stop forwarding.
            try await group.next()
            group.cancelAll()
        }
    }

    func handle(_ text: String, from userId: UUID) async -> ChatSocketFrame? {
        do {
            let frame = try APIJSON.decoder().decode(ChatSocketFrame.self, from: Data(text.utf8))
            guard let room = frame.roomId.flatMap(UUID.init(uuidString:)) else { return ChatSocketFrame(type: "error", error: "roomId must be a UUID") }
            switch frame.type {
            case "send":
                let draft = try ChatMessageDraft.validate(SendMessageRequest(type: frame.messageType, content: frame.content, fileId: frame.fileId))
                _ = try await deliver(draft, room: room, from: userId, requestId: "ws-" + UUID().uuidString.lowercased())
                return nil  // the message comes back through the hub, like everyone's
            case "read":
                _ = try await markRead(room: room, by: userId, cursor: frame.cursor)
                return nil
            default:
                return ChatSocketFrame(type: "error", roomId: frame.roomId, error: "Frame type must be send or read")
            }
        } catch let failure as ValidationFailure {
            return ChatSocketFrame(type: "error", error: failure.message)
        } catch let error as APIError {
            return ChatSocketFrame(type: "error", error: error.message)
        } catch is DecodingError {
            return ChatSocketFrame(type: "error", error: "Frames are JSON objects with a type")
        } catch {
            return ChatSocketFrame(type: "error", error: "Could not handle the frame; try again")
        }
    }

    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as ChatStore.Failure {
            switch failure {
            case .notFound: throw APIError.notFound("No such chat")
            case .unknownProvider: throw APIError.validation("providerId", "No such provider")
            case .unknownBooking: throw APIError.validation("bookingId", "No such booking of yours")
            case .ownProvider: throw APIError.validation("providerId", "You cannot open a chat with your own provider profile")
            case .forbidden(let message): throw APIError.forbidden(message)
            }
        }
    }

    static func id(_ context: Context) throws -> UUID {
        try context.uuidParameter(what: "Chat id")
    }
}

extension ErrorCode {
    /// `GET /v1/chats/live` without the WebSocket upgrade (426).
    public static let upgradeRequired: ErrorCode = "UPGRADE_REQUIRED"
}
