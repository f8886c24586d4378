import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// `core.providers`.
public struct ProviderStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public enum CreateError: Error { case alreadyProvider, unknownCategory }

    /// Creates the user's provider profile and makes the user a provider, in
    /// one transaction.
    public func create(userId: UUID, _ f: ProviderFields, requestId: String?) async throws -> ProviderDTO {
        do {
            return try await client.transaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO core.providers (user_id, category_id, business_name, description, hourly_rate_centavos,
                        service_areas, skills, latitude, longitude)
                    VALUES (\(userId), \(f.categoryId!), \(f.businessName!), \(f.description ?? ""), \(f.hourlyRate!),
                        \(f.serviceAreas ?? []), \(f.skills ?? []), \(f.location?.latitude), \(f.location?.longitude))
                    RETURNING \(unescaped: Self.columns)
                    """,
                    logger: logger)
                guard let provider = try await Self.first(rows) else { throw CreateError.unknownCategory }
                try await connection.query(
                    "UPDATE core.profiles SET user_type = 'provider', updated_at = now() WHERE user_id = \(userId) AND user_type = 'consumer'",
                    logger: logger)
                // The account's type lives in the auth service: tell it, in this transaction.
                try await OutboxWriter(schema: "core").publish(
                    UserTypeChanged(UserTypeChangedEvent(userId: userId, userType: .provider)), requestId: requestId, on: connection, logger: logger)
                try await Self.announce(provider, deleted: false, requestId: requestId, on: connection, logger: logger)
                return provider
            }
        } catch let error as PSQLError where error.isUniqueViolation {
            throw CreateError.alreadyProvider
        } catch let error as PSQLError where error.isForeignKeyViolation {
            throw CreateError.unknownCategory
        }
    }

    public func find(id: UUID) async throws -> ProviderDTO? {
        try await Self.first(try await client.query(
            "SELECT \(unescaped: Self.columns) FROM core.providers WHERE id = \(id) AND deleted_at IS NULL", logger: logger))
    }

    /// The user's live provider profile (one per user).
    public func find(userId: UUID) async throws -> ProviderDTO? {
        try await Self.first(try await client.query(
            "SELECT \(unescaped: Self.columns) FROM core.providers WHERE user_id = \(userId) AND deleted_at IS NULL", logger: logger))
    }

    /// A page of live providers, best trust first; optionally of one category
    /// (and its sub-categories).
    public func list(categoryId: UUID?, page: PageRequest) async throws -> ([ProviderDTO], Int) {
        let rows = try await client.query(
            """
            WITH RECURSIVE subtree AS (
                SELECT id FROM core.categories WHERE id = \(categoryId)
                UNION ALL
                SELECT c.id FROM core.categories c JOIN subtree s ON c.parent_id = s.id
            )
            SELECT \(unescaped: Self.columns), count(*) OVER ()::int AS total
            FROM core.providers
            WHERE deleted_at IS NULL AND (\(categoryId == nil) OR category_id IN (SELECT id FROM subtree))
            ORDER BY trust_score DESC, avg_rating DESC, created_at, id
            LIMIT \(page.limit) OFFSET \(page.offset)
            """,
            logger: logger)
        return try await rows.page { try Self.provider(from: $0) }
    }

    /// Changes the fields present. Nil when there is no live provider `id`.
    public func update(id: UUID, _ f: ProviderFields, requestId: String? = nil) async throws -> ProviderDTO? {
        do {
            return try await client.transaction(logger: logger) { connection in
            guard let provider = try await Self.first(try await connection.query(
                """
                UPDATE core.providers SET
                    category_id = COALESCE(\(f.categoryId), category_id),
                    business_name = COALESCE(\(f.businessName), business_name),
                    description = COALESCE(\(f.description), description),
                    hourly_rate_centavos = COALESCE(\(f.hourlyRate), hourly_rate_centavos),
                    service_areas = COALESCE(\(f.serviceAreas), service_areas),
                    skills = COALESCE(\(f.skills), skills),
                    latitude = COALESCE(\(f.location?.latitude), latitude),
                    longitude = COALESCE(\(f.location?.longitude), longitude),
                    updated_at = now()
                WHERE id = \(id) AND deleted_at IS NULL
                RETURNING \(unescaped: Self.columns)
                """,
                logger: logger)) else { return nil }
            try await Self.announce(provider, deleted: false, requestId: requestId, on: connection, logger: logger)
            return provider
            }
        } catch let error as PSQLError where error.isForeignKeyViolation {
            throw CreateError.unknownCategory
        }
    }

    /// Soft delete: bookings and reviews keep their provider.
    public func delete(id: UUID, requestId: String? = nil) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            guard let provider = try await Self.first(try await connection.query(
                "UPDATE core.providers SET deleted_at = now() WHERE id = \(id) AND deleted_at IS NULL RETURNING \(unescaped: Self.columns)",
                logger: logger)) else { return false }
            try await Self.announce(provider, deleted: true, requestId: requestId, on: connection, logger: logger)
            return true
        }
    }

    /// The AI service keeps its own copy of providers for matching and trust.
    static func announce(_ provider: ProviderDTO, deleted: Bool, requestId: String?, on connection: PostgresConnection, logger: Logger) async throws {
        var names: [String] = []
        for try await name in try await connection.query(
            """
            SELECT c.name FROM core.providers p JOIN core.categories c ON c.id = ANY(p.category_path)
            WHERE p.id = \(provider.id) ORDER BY array_position(p.category_path, c.id)
            """, logger: logger).decode(String.self) { names.append(name) }
        let payload = ProviderEvent(provider: provider, categoryNames: names, deleted: deleted)
        let outbox = OutboxWriter(schema: "core")
        if deleted {
            try await outbox.publish(ProviderDeleted(payload), requestId: requestId, on: connection, logger: logger)
        } else {
            try await outbox.publish(ProviderChanged(payload), requestId: requestId, on: connection, logger: logger)
        }
    }

    /// The AI service's new score (`trust-score.changed`); a stale or
    /// repeated one is harmless (the latest write wins).
    public func setTrustScore(providerId: UUID, score: Int) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE core.providers SET trust_score = \(min(1000, max(0, score))), updated_at = now()
            WHERE id = \(providerId) AND trust_score <> \(score) RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    // MARK: Portfolio

    public enum PortfolioError: Error { case full }

    public func portfolio(providerId: UUID) async throws -> [PortfolioItemDTO] {
        let rows = try await client.query(
            """
            SELECT id, provider_id, title, description, file_ids, created_at FROM core.provider_portfolio
            WHERE provider_id = \(providerId) ORDER BY created_at DESC, id
            """, logger: logger)
        var items: [PortfolioItemDTO] = []
        for try await (id, provider, title, description, files, created) in rows.decode((UUID, UUID, String, String, [UUID], Date).self) {
            items.append(PortfolioItemDTO(id: id, providerId: provider, title: title, description: description,
                                          fileIds: files.map { $0.uuidString.lowercased() }, createdAt: ISO8601.string(from: created)))
        }
        return items
    }

    /// Adds an item; at most `PortfolioFields.maxItems` (counted under the
    /// provider row's lock, so racing adds cannot pass it).
    public func addPortfolioItem(providerId: UUID, _ f: PortfolioFields) async throws -> PortfolioItemDTO {
        try await client.transaction(logger: logger) { connection in
            for try await _ in try await connection.query(
                "SELECT id FROM core.providers WHERE id = \(providerId) FOR NO KEY UPDATE", logger: logger).decode(UUID.self) {}
            var count = 0
            for try await n in try await connection.query(
                "SELECT count(*)::int FROM core.provider_portfolio WHERE provider_id = \(providerId)", logger: logger).decode(Int.self) { count = n }
            guard count < PortfolioFields.maxItems else { throw PortfolioError.full }
            let rows = try await connection.query(
                """
                INSERT INTO core.provider_portfolio (provider_id, title, description, file_ids)
                VALUES (\(providerId), \(f.title), \(f.description), \(f.fileIds)) RETURNING id, created_at
                """, logger: logger)
            for try await (id, created) in rows.decode((UUID, Date).self) {
                return PortfolioItemDTO(id: id, providerId: providerId, title: f.title, description: f.description,
                                        fileIds: f.fileIds.map { $0.uuidString.lowercased() }, createdAt: ISO8601.string(from: created))
            }
            throw PortfolioError.full
        }
    }

    public func deletePortfolioItem(_ id: UUID, providerId: UUID) async throws -> Bool {
        let rows = try await client.query(
            "DELETE FROM core.provider_portfolio WHERE id = \(id) AND provider_id = \(providerId) RETURNING id", logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    static let columns = """
        id, user_id, category_id, business_name, description, hourly_rate_centavos, service_areas, skills, latitude, longitude, \
        trust_score, avg_rating::float8, total_reviews, total_jobs_completed, is_verified, created_at, updated_at
        """

    static func first(_ rows: PostgresRowSequence) async throws -> ProviderDTO? {
        for try await row in rows { return try provider(from: row) }
        return nil
    }

    static func provider(from row: PostgresRow) throws -> ProviderDTO {
        var cells = row.makeIterator()
        func next<T: PostgresDecodable>(_: T.Type) throws -> T { try cells.next()!.decode(T.self) }
        return ProviderDTO(
            id: try next(UUID.self), userId: try next(UUID.self), categoryId: try next(UUID.self),
            businessName: try next(String.self), description: try next(String.self), hourlyRate: try next(Int64.self),
            serviceAreas: try next([String].self), skills: try next([String].self),
            latitude: try next(Double?.self), longitude: try next(Double?.self),
            trustScore: try next(Int.self), avgRating: try next(Double.self), totalReviews: try next(Int.self),
            totalJobsCompleted: try next(Int.self), isVerified: try next(Bool.self),
            createdAt: ISO8601.string(from: try next(Date.self)), updatedAt: ISO8601.string(from: try next(Date.self)))
    }
}
