import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/categories`: the tree, and the providers of a category (by id or
/// slug, sub-categories included), public.
public struct CategoryController<Context: ServiceRequestContext>: Sendable {
    let store: CategoryStore
    let directory: ProviderDirectory

    public init(store: CategoryStore, directory: ProviderDirectory) {
        self.store = store
        self.directory = directory
    }

    public func addRoutes(to group: RouterGroup<Context>) {
        group.get(use: tree)
        group.get(":id/providers", use: providers)
    }

    @Sendable func tree(_ request: Request, context: Context) async throws -> Envelope<[CategoryDTO]> {
        Envelope(CategoryTree.build(try await store.activeRows()))
    }

    /// The search, narrowed to this category; an unknown category is a 404.
    @Sendable func providers(_ request: Request, context: Context) async throws -> Envelope<[ProviderSearchHit]> {
        let category = context.parameters.get("id") ?? ""
        var query = request.queryDictionary
        query["category"] = category
        do {
            return try await directory.search(query)
        } catch ProviderSearchStore.Failure.unknownCategory {
            throw APIError.notFound("No such category")
        }
    }
}
