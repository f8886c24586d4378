import Foundation
import Logging
import PostgresNIO
import Redis
import ServiceKit

/// Sessions and their rotating refresh tokens. Postgres holds the record;
/// Redis holds `session:{id}` while the session is alive, which is what every
/// service checks on each request (seed 6.1 "Check Redis Session").
public struct SessionStore: Sendable {
    let client: PostgresClient
    let redis: RedisClient
    let logger: Logger
    let refreshLifetime: TimeInterval

    public static func redisKey(_ sessionId: UUID) -> String { SessionKeys.key(sessionId.uuidString) }

    public struct Issued: Sendable {
        public let sessionId: UUID
        public let refreshToken: OpaqueToken
    }

    /// Starts a session for a user who just proved who they are.
    public func start(userId: UUID, userAgent: String?, ip: String?) async throws -> Issued {
        let sessionId = UUID()
        let token = OpaqueToken.generate()
        let expires = Date().addingTimeInterval(refreshLifetime)
        try await client.transaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO auth.sessions (id, user_id, expires_at, user_agent, ip)
                VALUES (\(sessionId), \(userId), \(expires), \(userAgent.map { String($0.prefix(512)) }), \(ip))
                """,
                logger: logger
            )
            try await connection.query(
                """
                INSERT INTO auth.refresh_tokens (token_hash, session_id, user_id, expires_at)
                VALUES (\(Data(token.hash)), \(sessionId), \(userId), \(expires))
                """,
                logger: logger
            )
        }
        try await markLive(sessionId: sessionId, userId: userId)
        return Issued(sessionId: sessionId, refreshToken: token)
    }

    public enum RotationResult: Sendable {
        case rotated(userId: UUID, sessionId: UUID, refreshToken: OpaqueToken)
        /// An already-used token came back: someone holds a copy. The whole
        /// session is revoked.
        case reused(userId: UUID, sessionId: UUID)
        case invalid
        case expired
    }

    /// Uses a refresh token once. Concurrent uses of the same token are
    /// serialized by the row lock: exactly one rotates, the others are reuse.
    public func rotate(refreshToken: String) async throws -> RotationResult {
        guard OpaqueToken.looksValid(refreshToken) else { return .invalid }
        let hash = Data(OpaqueToken.hash(refreshToken))
        let result: RotationResult = try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT rt.id, rt.session_id, rt.user_id, rt.expires_at, rt.used_at, s.revoked_at
                FROM auth.refresh_tokens rt JOIN auth.sessions s ON s.id = rt.session_id
                WHERE rt.token_hash = \(hash)
                FOR UPDATE OF rt, s
                """,
                logger: logger
            )
            var found: (UUID, UUID, UUID, Date, Date?, Date?)?
            for try await row in rows.decode((UUID, UUID, UUID, Date, Date?, Date?).self) { found = row }
            guard let (tokenId, sessionId, userId, expiresAt, usedAt, revokedAt) = found else { return .invalid }
            if revokedAt != nil { return .invalid }
            if usedAt != nil {
                try await revoke(sessionId: sessionId, reason: "refresh_token_reuse", on: connection)
                return .reused(userId: userId, sessionId: sessionId)
            }
            if expiresAt <= Date() { return .expired }

            let next = OpaqueToken.generate()
            let expires = Date().addingTimeInterval(refreshLifetime)
            try await connection.query("UPDATE auth.refresh_tokens SET used_at = now() WHERE id = \(tokenId)", logger: logger)
            try await connection.query(
                """
                INSERT INTO auth.refresh_tokens (token_hash, session_id, user_id, expires_at)
                VALUES (\(Data(next.hash)), \(sessionId), \(userId), \(expires))
                """,
                logger: logger
            )
            try await connection.query("UPDATE auth.sessions SET expires_at = \(expires) WHERE id = \(sessionId)", logger: logger)
            return .rotated(userId: userId, sessionId: sessionId, refreshToken: next)
        }
        switch result {
        case .rotated(let userId, let sessionId, _):
            try await markLive(sessionId: sessionId, userId: userId)
        case .reused(let userId, let sessionId):
            try await forget(sessionIds: [sessionId], of: userId)
        case .invalid, .expired:
            break
        }
        return result
    }

    /// Ends the session the refresh token belongs to. Returns the user id, or
    /// nil when the token is unknown. Ending an ended session is fine.
    public func end(refreshToken: String, reason: String) async throws -> UUID? {
        guard OpaqueToken.looksValid(refreshToken) else { return nil }
        let hash = Data(OpaqueToken.hash(refreshToken))
        let found: (UUID, UUID)? = try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT session_id, user_id FROM auth.refresh_tokens WHERE token_hash = \(hash)", logger: logger
            )
            var found: (UUID, UUID)?
            for try await row in rows.decode((UUID, UUID).self) { found = row }
            if let (sessionId, _) = found { try await revoke(sessionId: sessionId, reason: reason, on: connection) }
            return found
        }
        guard let (sessionId, userId) = found else { return nil }
        try await forget(sessionIds: [sessionId], of: userId)
        return userId
    }

    /// Ends every live session of a user (password reset, suspension).
    public func endAll(userId: UUID, reason: String, on connection: PostgresConnection) async throws -> [UUID] {
        let rows = try await connection.query(
            """
            UPDATE auth.sessions SET revoked_at = now(), revoke_reason = \(reason)
            WHERE user_id = \(userId) AND revoked_at IS NULL
            RETURNING id
            """,
            logger: logger
        )
        var ids: [UUID] = []
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        return ids
    }

    /// Drops the live copies of ended sessions (every service then refuses
    /// their tokens) and announces each on `auth:revoked`, so sockets that
    /// outlive a request close now, on every instance.
    public func forget(sessionIds: [UUID], of userId: UUID) async throws {
        guard !sessionIds.isEmpty else { return }
        try await drop(sessionIds, announcing: sessionIds.map { SessionRevocation(userId: userId, sessionId: $0) })
    }

    /// `forget` for every session of a person (password reset): one
    /// announcement covers them all, also sockets of a session Redis lost.
    public func forgetAll(sessionIds: [UUID], of userId: UUID) async throws {
        try await drop(sessionIds, announcing: [SessionRevocation(userId: userId, sessionId: nil)])
    }

    /// One round trip: the keys go before the news, so a listener that
    /// re-checks on the news finds them gone.
    private func drop(_ sessionIds: [UUID], announcing revocations: [SessionRevocation]) async throws {
        var commands: [[String]] = sessionIds.isEmpty ? [] : [["DEL"] + sessionIds.map(Self.redisKey)]
        commands += revocations.map { ["PUBLISH", SessionRevocation.channel, $0.payload] }
        _ = try await redis.pipeline(commands)
    }

    private func revoke(sessionId: UUID, reason: String, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE auth.sessions SET revoked_at = now(), revoke_reason = \(reason)
            WHERE id = \(sessionId) AND revoked_at IS NULL
            """,
            logger: logger
        )
    }

    private func markLive(sessionId: UUID, userId: UUID) async throws {
        let key = Self.redisKey(sessionId)
        _ = try await redis.pipeline([
            ["HSET", key, "userId", userId.uuidString.lowercased(), "createdAt", String(Int(Date().timeIntervalSince1970))],
            ["EXPIRE", key, String(Int(refreshLifetime))],
        ])
    }
}


