import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// One-time tokens that arrive by email: verify an address, reset a password.
public struct EmailTokenStore: Sendable {
    public enum Purpose: String, Sendable { case verifyEmail = "verify_email", resetPassword = "reset_password" }

    let logger: Logger

    /// Makes a fresh token and retires the user's earlier unused ones of the
    /// same purpose, so only the newest link works.
    public func issue(userId: UUID, purpose: Purpose, lifetime: TimeInterval, on connection: PostgresConnection) async throws -> OpaqueToken {
        let token = OpaqueToken.generate()
        try await connection.query(
            """
            UPDATE auth.email_tokens SET used_at = now()
            WHERE user_id = \(userId) AND purpose = \(purpose.rawValue) AND used_at IS NULL
            """,
            logger: logger
        )
        try await connection.query(
            """
            INSERT INTO auth.email_tokens (token_hash, user_id, purpose, expires_at)
            VALUES (\(Data(token.hash)), \(userId), \(purpose.rawValue), \(Date().addingTimeInterval(lifetime)))
            """,
            logger: logger
        )
        return token
    }

    /// Uses a token once; nil when it is unknown, used or expired.
    public func consume(_ value: String, purpose: Purpose, on connection: PostgresConnection) async throws -> UUID? {
        guard OpaqueToken.looksValid(value) else { return nil }
        let rows = try await connection.query(
            """
            UPDATE auth.email_tokens SET used_at = now()
            WHERE token_hash = \(Data(OpaqueToken.hash(value))) AND purpose = \(purpose.rawValue)
              AND used_at IS NULL AND expires_at > now()
            RETURNING user_id
            """,
            logger: logger
        )
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }
}
