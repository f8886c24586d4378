import Foundation
import TrustTradeDTO

/// One stored category row.
public struct CategoryRow: Sendable, Equatable {
    public var id: UUID
    public var parentId: UUID?
    public var slug: String
    public var name: String
    public var nameFil: String
    public var icon: String?
    public var sortOrder: Int

    public init(id: UUID, parentId: UUID?, slug: String, name: String, nameFil: String, icon: String?, sortOrder: Int) {
        self.id = id
        self.parentId = parentId
        self.slug = slug
        self.name = name
        self.nameFil = nameFil
        self.icon = icon
        self.sortOrder = sortOrder
    }
}

public enum CategoryTree {
    /// Rows → nested tree, siblings by sort order then name. Rows whose parent
    /// is missing (inactive) are left out with their subtree.
    public static func build(_ rows: [CategoryRow]) -> [CategoryDTO] {
        let children = Dictionary(grouping: rows, by: \.parentId)
        func nodes(under parent: UUID?) -> [CategoryDTO] {
            (children[parent] ?? [])
                .sorted { ($0.sortOrder, $0.name) < ($1.sortOrder, $1.name) }
                .map { CategoryDTO(id: $0.id, slug: $0.slug, name: $0.name, nameFil: $0.nameFil, icon: $0.icon, children: nodes(under: $0.id)) }
        }
        return nodes(under: nil)
    }
}
