import Foundation
import Redis
import ServiceKit
import TrustTradeDTO

/// Chat socket tickets in Redis: `chat:ticket:{sha256}` → the grant, for
/// `ChatTicketGrant.lifetime`. Taken with GETDEL, so a ticket opens one
/// socket however many instances race for it.
public struct ChatTicketStore: Sendable {
    let redis: RedisClient

    public init(redis: RedisClient) {
        self.redis = redis
    }

    static func key(_ ticket: String) -> String { "chat:ticket:" + Base64URL.encode(OpaqueToken.hash(ticket)) }

    /// A fresh ticket for `grant`; answers its value (handed out once, never stored).
    public func issue(_ grant: ChatTicketGrant) async throws -> String {
        let ticket = OpaqueToken.generate().value
        let json = String(decoding: try JSONEncoder().encode(grant), as: UTF8.self)
        // Whole seconds, rounded up: Redis never drops it before the grant says.
        let ttl = max(1, Int(grant.expiresAt.timeIntervalSinceNow.rounded(.up)))
        guard try await redis.set(Self.key(ticket), json, expiration: .seconds(ttl), condition: .ifNotExists) else {
            throw APIError(.internalServerError, code: .internalError, message: "Could not issue a ticket; try again")
        }
        return ticket
    }

    /// The grant of `ticket` while it is valid, else nil (unknown, used or
    /// expired). `spend` removes it in the same step (GETDEL): of two
    /// requests racing with one ticket, one gets the grant.
    public func grant(of ticket: String, spend: Bool, now: Date = Date()) async throws -> ChatTicketGrant? {
        guard OpaqueToken.looksValid(ticket) else { return nil }
        guard let json = try await redis.send([spend ? "GETDEL" : "GET", .string(Self.key(ticket))]).string,
              let grant = try? JSONDecoder().decode(ChatTicketGrant.self, from: Data(json.utf8)),
              grant.admits(at: now)
        else { return nil }
        return grant
    }
}
