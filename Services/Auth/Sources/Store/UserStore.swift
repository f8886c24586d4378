import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO

/// Accounts in `auth.users`.
public struct UserStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    static let select = """
        SELECT id, email, password_hash, phone, full_name, user_type, profile_image_url,
               email_verified, phone_verified, status, created_at, last_login_at
        FROM auth.users
        """

    public enum InsertError: Error { case emailTaken }

    /// A consumer becomes a provider (an admin stays an admin; the same
    /// event twice changes nothing).
    public func becomeProvider(userId: UUID) async throws {
        try await client.query(
            "UPDATE auth.users SET user_type = 'provider', updated_at = now() WHERE id = \(userId) AND user_type = 'consumer'",
            logger: logger)
    }

    /// Inserts a new account inside the caller's transaction.
    public func insert(
        email: String, passwordHash: String?, fullName: String, phone: String?, userType: UserType,
        emailVerified: Bool, on connection: PostgresConnection
    ) async throws -> User {
        do {
            let rows = try await connection.query(
                """
                INSERT INTO auth.users (email, password_hash, full_name, phone, user_type, email_verified)
                VALUES (\(email), \(passwordHash), \(fullName), \(phone), \(userType.rawValue), \(emailVerified))
                RETURNING id, email, password_hash, phone, full_name, user_type, profile_image_url,
                          email_verified, phone_verified, status, created_at, last_login_at
                """,
                logger: logger
            )
            guard let user = try await Self.decode(rows).first else { throw InsertError.emailTaken }
            return user
        } catch let error as PSQLError where error.isUniqueViolation {
            throw InsertError.emailTaken
        }
    }

    public func find(id: UUID) async throws -> User? {
        try await Self.decode(client.query("\(unescaped: Self.select) WHERE id = \(id)", logger: logger)).first
    }

    public func find(email: String) async throws -> User? {
        try await find(email: email, on: nil)
    }

    public func find(email: String, on connection: PostgresConnection?) async throws -> User? {
        let query: PostgresQuery = "\(unescaped: Self.select) WHERE lower(email) = lower(\(email))"
        if let connection { return try await Self.decode(connection.query(query, logger: logger)).first }
        return try await Self.decode(client.query(query, logger: logger)).first
    }

    public func setPassword(userId: UUID, hash: String, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE auth.users SET password_hash = \(hash), updated_at = now() WHERE id = \(userId)", logger: logger
        )
    }

    public func markEmailVerified(userId: UUID, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE auth.users SET email_verified = TRUE, updated_at = now() WHERE id = \(userId)", logger: logger
        )
    }

    public func recordLogin(userId: UUID) async throws {
        try await client.query("UPDATE auth.users SET last_login_at = now() WHERE id = \(userId)", logger: logger)
    }

    // MARK: OAuth identities

    public func user(forProvider provider: String, subject: String, on connection: PostgresConnection) async throws -> User? {
        let rows = try await connection.query(
            """
            SELECT u.id, u.email, u.password_hash, u.phone, u.full_name, u.user_type, u.profile_image_url,
                   u.email_verified, u.phone_verified, u.status, u.created_at, u.last_login_at
            FROM auth.oauth_identities o JOIN auth.users u ON u.id = o.user_id
            WHERE o.provider = \(provider) AND o.provider_user_id = \(subject)
            """,
            logger: logger
        )
        return try await Self.decode(rows).first
    }

    public func link(userId: UUID, provider: String, subject: String, email: String?, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO auth.oauth_identities (provider, provider_user_id, user_id, email)
            VALUES (\(provider), \(subject), \(userId), \(email))
            ON CONFLICT (provider, provider_user_id) DO NOTHING
            """,
            logger: logger
        )
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [User] {
        var users: [User] = []
        for try await row in rows {
            let (id, email, passwordHash, phone, fullName, userType, image, emailVerified, phoneVerified, status, createdAt, lastLogin) =
                try row.decode((UUID, String, String?, String?, String, String, String?, Bool, Bool, String, Date, Date?).self)
            users.append(User(
                id: id, email: email, passwordHash: passwordHash, phone: phone, fullName: fullName,
                userType: UserType(rawValue: userType) ?? .consumer, profileImageUrl: image,
                emailVerified: emailVerified, phoneVerified: phoneVerified,
                status: UserStatus(rawValue: status) ?? .suspended, createdAt: createdAt, lastLoginAt: lastLogin
            ))
        }
        return users
    }
}
