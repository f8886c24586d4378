import Foundation
import Logging
import PostgresNIO
import TrustTradeDTO

/// `core.categories`.
public struct CategoryStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func activeRows() async throws -> [CategoryRow] {
        let rows = try await client.query(
            "SELECT id, parent_id, slug, name, name_fil, icon, sort_order FROM core.categories WHERE active",
            logger: logger)
        var result: [CategoryRow] = []
        for try await (id, parentId, slug, name, nameFil, icon, sortOrder) in rows.decode((UUID, UUID?, String, String, String, String?, Int).self) {
            result.append(CategoryRow(id: id, parentId: parentId, slug: slug, name: name, nameFil: nameFil, icon: icon, sortOrder: sortOrder))
        }
        return result
    }
}
