import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceKit
import TrustTradeDTO

/// `/v1/chats`: rooms between a consumer and a provider, their messages
/// (newest first, by cursor), read marks, and `GET /v1/chats/live`, a
/// WebSocket that brings the caller's new messages and read marks as they
/// happen and takes `send` and `read` frames. A socket lives as long as its
/// session: it closes with 4401 when the session ends (logout, revocation,
/// password reset: announced on pub/sub, re-checked every
/// `limits.sessionCheckInterval`) or the access token that opened it expires.
public struct ChatController<Context: ServiceRequestContext & WebSocketRequestContext>: Sendable {
    let chats: ChatStore
    let hub: ChatHub
    let stats: DailyStats
    let profiles: ProfileService
    let files: FileDirectory
    let tickets: ChatTicketStore
    let sessions: any SessionChecker
    let limits: ChatSocketLimits

    public init(chats: ChatStore, hub: ChatHub, stats: DailyStats, profiles: ProfileService, files: FileDirectory,
                tickets: ChatTicketStore, sessions: any SessionChecker, limits: ChatSocketLimits) {
        self.chats = chats
        self.hub = hub
        self.stats = stats
        self.profiles = profiles
        self.files = files
        self.tickets = tickets
        self.sessions = sessions
        self.limits = limits
    }

    /// `GET /v1/chats/live` alone: `group` authenticates with
    /// `ChatSocketAuthenticationMiddleware` (token or ticket), which also
    /// answers a plain GET with 426.
    public func addLiveRoute(to group: RouterGroup<Context>) {
        group.ws(onUpgrade: live)
    }

    /// Everything else; `group` requires a signed-in user.
    public func addRoutes(to group: RouterGroup<Context>) {
        group.post("ticket", use: ticket)
        group.get(use: list)
        group.post(use: open)
        group.get(":id", use: show)
        group.get(":id/messages", use: messages)
        group.post(":id/messages", use: send)
        group.post(":id/read", use: read)
    }

    /// A ticket that opens one socket within 30 s, for browsers (they cannot
    /// set `Authorization` on a WebSocket); bound to the caller's session.
    @Sendable func ticket(_ request: Request, context: Context) async throws -> Envelope<ChatTicketDTO> {
        let identity = try context.requireIdentity()
        guard let tokenExpiresAt = context.accessTokenExpiresAt else { throw APIError.unauthorized() }
        let grant = ChatTicketGrant(identity: identity, tokenExpiresAt: tokenExpiresAt, now: Date())
        let ticket = try await tickets.issue(grant)
        return Envelope(ChatTicketDTO(ticket: ticket, expiresAt: ISO8601.string(from: grant.expiresAt)), status: .created)
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
        let (room, created) = try await chats.open(by: identity, providerId: providerId, bookingId: bookingId)
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
        return Envelope(try await chats.messages(room: id, for: identity.userId, before: before, limit: limit))
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
        let (message, people) = try await chats.send(draft, room: room, from: sender)
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
        let (seq, other) = try await chats.markRead(room: room, by: userId, upTo: upTo)
        let frame = ChatSocketFrame(type: "read", roomId: room.uuidString.lowercased(), cursor: ChatCursor.encode(max(seq, 1)))
        // The other side sees their messages were read.
        await hub.publish(frame, to: [other])
        return frame
    }

    /// The live socket: frames from the hub out; `send` / `read` frames in,
    /// answered with an `error` frame when refused (the socket stays open).
    /// Whichever of its three tasks ends first closes it: the client leaving,
    /// the session ending (4401), or too many frames (1008). A frame or
    /// message over `limits.maxFrameBytes` is closed with 1009 by the
    /// WebSocket layer.
    @Sendable func live(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, _ ws: WebSocketRouterContext<Context>) async throws {
        guard let identity = ws.requestContext.identity, let tokenExpiresAt = ws.requestContext.accessTokenExpiresAt else { return }
        let events = hub.events(for: identity)
        let closure = try await withThrowingTaskGroup(of: ChatSocketClosure?.self) { group in
            group.addTask {
                for await event in events {
                    switch event {
                    case .frame(let frame): try await outbound.write(.text(frame))
                    case .sessionEnded: return .sessionEnded
                    }
                }
                return nil
            }
            group.addTask {
                var bucket = FrameBucket(ratePerSecond: limits.framesPerSecond, burst: limits.frameBurst, now: .now)
                for try await message in inbound.messages(maxSize: limits.maxFrameBytes) {
                    guard bucket.take(at: .now) else { return .tooManyFrames }
                    guard case .text(let text) = message else { continue }
                    let reply = await handle(text, from: identity.userId)
                    if let reply, let json = try? String(decoding: APIJSON.encoder().encode(reply), as: UTF8.self) {
                        try await outbound.write(.text(json))
                    }
                }
                return nil
            }
            group.addTask {
                try await watchSession(identity.sessionId, tokenExpiresAt: tokenExpiresAt, logger: ws.logger)
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        if let closure {
            try await outbound.close(.init(codeNumber: closure.code), reason: closure.reason)
        }
    }

    /// The net under pub/sub: returns `.sessionEnded` when the token expires
    /// or a periodic check finds the session gone. A check Redis cannot
    /// answer keeps the socket (the next one, or the token's expiry, decides).
    func watchSession(_ sessionId: String, tokenExpiresAt: Date, logger: Logger) async throws -> ChatSocketClosure? {
        let watch = ChatSessionWatch(tokenExpiresAt: tokenExpiresAt, checkInterval: limits.sessionCheckInterval)
        while true {
            switch watch.next(after: Date()) {
            case .tokenExpires(let at):
                try await Task.sleep(for: .seconds(max(0, at.timeIntervalSinceNow)))
                return .sessionEnded
            case .checkSession(let at):
                try await Task.sleep(for: .seconds(max(0, at.timeIntervalSinceNow)))
                do {
                    if try await !sessions.isActive(sessionId: sessionId) { return .sessionEnded }
                } catch {
                    logger.warning("chat socket could not check its session", metadata: ["error": .string("\(error)")])
                }
            }
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
        } catch let failure as any APIErrorConvertible {
            return ChatSocketFrame(type: "error", error: failure.apiError.message)
        } catch is DecodingError {
            return ChatSocketFrame(type: "error", error: "Frames are JSON objects with a type")
        } catch {
            return ChatSocketFrame(type: "error", error: "Could not handle the frame; try again")
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
