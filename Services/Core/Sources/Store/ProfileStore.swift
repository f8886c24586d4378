import Foundation
import Logging
import PostgresNIO
import TrustTradeDTO

/// `core.profiles`.
public struct ProfileStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// From user.registered (or a first request): creates the profile once;
    /// a second delivery of the same event changes nothing.
    public func createIfMissing(userId: UUID, email: String, fullName: String, phone: String?, userType: UserType) async throws {
        try await client.query(
            """
            INSERT INTO core.profiles (user_id, email, full_name, phone, user_type)
            VALUES (\(userId), \(email), \(fullName), \(phone), \(userType.rawValue))
            ON CONFLICT (user_id) DO NOTHING
            """,
            logger: logger
        )
    }

    public func profile(userId: UUID) async throws -> ProfileDTO? {
        try await first(try await client.query("\(unescaped: Self.columns) FROM core.profiles WHERE user_id = \(userId)", logger: logger))
    }

    /// Applies the fields the change carries; nil when there is no such profile.
    public func update(userId: UUID, _ change: ProfileChange) async throws -> ProfileDTO? {
        let setPhone = change.phone != nil, phone = change.phone ?? nil
        let setCity = change.city != nil, city = change.city ?? nil
        let setBarangay = change.barangay != nil, barangay = change.barangay ?? nil
        return try await first(try await client.query(
            """
            UPDATE core.profiles SET
                full_name = COALESCE(\(change.fullName), full_name),
                phone = CASE WHEN \(setPhone) THEN \(phone) ELSE phone END,
                bio = COALESCE(\(change.bio), bio),
                city = CASE WHEN \(setCity) THEN \(city) ELSE city END,
                barangay = CASE WHEN \(setBarangay) THEN \(barangay) ELSE barangay END,
                language = COALESCE(\(change.language?.rawValue), language),
                updated_at = now()
            WHERE user_id = \(userId)
            RETURNING \(unescaped: Self.returning)
            """,
            logger: logger
        ))
    }

    public func setAvatar(userId: UUID, fileId: UUID?) async throws -> ProfileDTO? {
        try await first(try await client.query(
            """
            UPDATE core.profiles SET avatar_file_id = \(fileId), updated_at = now() WHERE user_id = \(userId)
            RETURNING \(unescaped: Self.returning)
            """,
            logger: logger))
    }

    static let returning = "user_id, email, full_name, phone, user_type, bio, city, barangay, avatar_file_id, language, created_at, updated_at"
    static let columns = "SELECT " + returning

    private func first(_ rows: PostgresRowSequence) async throws -> ProfileDTO? {
        for try await (id, email, fullName, phone, userType, bio, city, barangay, avatar, language, createdAt, updatedAt)
            in rows.decode((UUID, String, String, String?, String, String, String?, String?, UUID?, String, Date, Date).self) {
            return ProfileDTO(
                id: id, email: email, fullName: fullName, phone: phone, userType: UserType(rawValue: userType) ?? .consumer,
                bio: bio, city: city, barangay: barangay, avatarFileId: avatar?.uuidString.lowercased(),
                language: AppLanguage(rawValue: language) ?? .en,
                createdAt: ISO8601.string(from: createdAt), updatedAt: ISO8601.string(from: updatedAt))
        }
        return nil
    }
}
