import Foundation
import Hummingbird
import Queue
import ServiceKit
import TrustTradeDTO

/// `/v1/notifications/...` (seed 7.1): a user's own inbox, devices and
/// preferences; sending on demand is for admins (and services, internally).
struct NotificationController {
    let store: NotificationStore
    let queue: JobQueue

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.put("read-all", use: readAll)
        group.put(":id/read", use: read)
        group.delete(":id", use: delete)
        group.post("subscribe", use: subscribe)
        group.get("preferences", use: preferences)
        group.put("preferences", use: setPreference)
        for channel in [Channel.push, .email, .sms] {
            group.post(RouterPath(stringLiteral: channel.rawValue)) { request, context in
                try await adminSend(request, context: context, channel: channel)
            }
        }
    }

    func id(_ context: AppRequestContext) throws -> UUID {
        try context.uuidParameter()
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Envelope<[NotificationDTO]> {
        let me = try context.requireIdentity()
        let query = request.uri.queryParameters
        let page = try request.pageRequest()
        var unreadOnly = false
        if let raw = query.get("unread") {
            guard let flag = Bool(raw) else { throw APIError.validation("unread", "unread must be true or false") }
            unreadOnly = flag
        }
        let (items, total) = try await store.inbox(userId: me.userId, unreadOnly: unreadOnly, page: page)
        return Envelope(items, page: page, total: total)
    }

    @Sendable func read(_ request: Request, context: AppRequestContext) async throws -> Envelope<MessageResponse> {
        let me = try context.requireIdentity()
        guard try await store.markRead(id: try id(context), userId: me.userId) else { throw APIError.notFound("No such notification") }
        return Envelope(MessageResponse("Marked as read"))
    }

    struct ReadAllResponse: Codable, Sendable { var updated: Int }

    @Sendable func readAll(_ request: Request, context: AppRequestContext) async throws -> Envelope<ReadAllResponse> {
        let me = try context.requireIdentity()
        return Envelope(ReadAllResponse(updated: try await store.markAllRead(userId: me.userId)))
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Envelope<MessageResponse> {
        let me = try context.requireIdentity()
        guard try await store.delete(id: try id(context), userId: me.userId) else { throw APIError.notFound("No such notification") }
        return Envelope(MessageResponse("Deleted"))
    }

    struct SubscribeRequest: Codable, Sendable {
        var token: String
        var platform: String
    }

    @Sendable func subscribe(_ request: Request, context: AppRequestContext) async throws -> Envelope<MessageResponse> {
        let me = try context.requireIdentity()
        let body = try await request.decodeJSON(as: SubscribeRequest.self, context: context)
        var v = Validator()
        // Printable ASCII only (FCM tokens are letters, digits, `:`, `-`, `_`): a
        // control character, NUL above all, has no business in the table.
        v.check((20...4096).contains(body.token.utf8.count) && body.token.utf8.allSatisfy { (0x21...0x7E).contains($0) }, "token", "token must be an FCM registration token")
        v.check(["android", "ios", "web"].contains(body.platform), "platform", "platform must be android, ios or web")
        try v.validate()
        try await store.registerDevice(userId: me.userId, token: body.token, platform: body.platform)
        return Envelope(MessageResponse("Device registered for push notifications"), status: .created)
    }

    struct PreferencesResponse: Codable, Sendable {
        var channels: [String: [String: Bool]]
        /// The language messages are written in (en, fil).
        var language: String
    }

    @Sendable func preferences(_ request: Request, context: AppRequestContext) async throws -> Envelope<PreferencesResponse> {
        Envelope(try await currentPreferences(of: try context.requireIdentity().userId))
    }

    private func currentPreferences(of userId: UUID) async throws -> PreferencesResponse {
        PreferencesResponse(channels: try await store.preferences(userId: userId),
                            language: (try await store.recipient(userId))?.language.rawValue ?? Language.en.rawValue)
    }

    struct PreferenceChange: Codable, Sendable {
        var type: String?
        var channel: String?
        var enabled: Bool?
        var language: String?
    }

    @Sendable func setPreference(_ request: Request, context: AppRequestContext) async throws -> Envelope<PreferencesResponse> {
        let me = try context.requireIdentity()
        let body = try await request.decodeJSON(as: PreferenceChange.self, context: context)
        var v = Validator()
        if let language = body.language {
            v.check(Language(rawValue: language) != nil, "language", "language must be en or fil")
        }
        if body.type != nil || body.channel != nil || body.enabled != nil {
            let kind = body.type.flatMap(NotificationKind.init(rawValue:))
            let channel = body.channel.flatMap(Channel.init(rawValue:))
            v.check(kind != nil, "type", "type must be one of: " + NotificationKind.allCases.map(\.rawValue).joined(separator: ", "))
            v.check(channel != nil && channel != .inApp, "channel", "channel must be push, email or sms")
            v.check(body.enabled != nil, "enabled", "enabled is required")
            if let kind, kind.isSecurity { v.fail("type", "security emails cannot be turned off") }
            try v.validate()
            try await store.setPreference(userId: me.userId, kind: kind!, channel: channel!, enabled: body.enabled!)
        }
        try v.validate()
        if let language = body.language.flatMap(Language.init(rawValue:)) { try await store.setLanguage(userId: me.userId, language) }
        return Envelope(try await currentPreferences(of: me.userId))
    }

    struct SendRequest: Codable, Sendable {
        var userId: String
        var type: String
        var variables: [String: String]?
        var data: [String: String]?
    }

    struct Queued: Codable, Sendable { var jobId: String }

    /// `POST /v1/notifications/push|email|sms` (seed 3): admins only.
    @Sendable func adminSend(_ request: Request, context: AppRequestContext, channel: Channel) async throws -> Envelope<Queued> {
        try context.requireRole(.admin, "Only admins can send notifications directly")
        let body = try await request.decodeJSON(as: SendRequest.self, context: context)
        var v = Validator()
        let userId = UUID(uuidString: body.userId)
        let kind = NotificationKind(rawValue: body.type)
        v.check(userId != nil, "userId", "userId must be a UUID")
        v.check(kind != nil, "type", "type must be a notification type")
        try v.validate()
        let job = NotifyUserRequest(userId: userId!, kind: kind!, variables: body.variables ?? [:], data: body.data, channels: [channel])
        let event = EventEnvelope(type: NotificationJobName.notifyUser, requestId: context.requestId, payload: job)
        let id = try await queue.add(NotificationJobName.notifyUser, data: event, options: JobOptions(jobId: event.eventId.lowercased, attempts: 5, backoff: .exponential(delayMs: 2000)))
        return Envelope(Queued(jobId: id), status: .accepted)
    }
}

/// `/internal/notifications`: other services ask for a notification.
struct InternalNotificationController {
    let queue: JobQueue

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("notifications", use: send)
    }

    struct Queued: Codable, Sendable { var jobId: String }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Envelope<Queued> {
        let job = try await request.decodeJSON(as: NotifyUserRequest.self, context: context)
        let event = EventEnvelope(type: NotificationJobName.notifyUser, requestId: context.requestId, payload: job)
        let id = try await queue.add(NotificationJobName.notifyUser, data: event, options: JobOptions(jobId: event.eventId.lowercased, attempts: 5, backoff: .exponential(delayMs: 2000)))
        return Envelope(Queued(jobId: id), status: .accepted)
    }
}
