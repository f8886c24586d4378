import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// Reading providers the way clients do: one by id and searches, both
/// through the Redis cache; and telling the cache when one changed.
public struct ProviderDirectory: Sendable {
    let store: ProviderStore
    let searchStore: ProviderSearchStore
    let cache: ProviderCache
    let stats: DailyStats

    public init(store: ProviderStore, searchStore: ProviderSearchStore, cache: ProviderCache, stats: DailyStats) {
        self.store = store
        self.searchStore = searchStore
        self.cache = cache
        self.stats = stats
    }

    public func provider(_ id: UUID) async throws -> ProviderDTO? {
        try await cache.provider(id) { try await store.find(id: id) }
    }

    /// `GET /v1/providers/search` (and a category's providers): query
    /// parameters in, a page of hits out; bad parameters are 400s.
    public func search(_ parameters: [String: String]) async throws -> Envelope<[ProviderSearchHit]> {
        let search = try ProviderSearch.parse(parameters)
        await stats.count(.searches)
        let (hits, total) = try await cache.search(search) { try await searchStore.search(search) }
        return Envelope(hits, pagination: Pagination(page: search.page.page, limit: search.page.limit, total: total))
    }

    public func changed(_ providerId: UUID) async {
        await cache.invalidate(providerId)
    }
}

extension Request {
    /// The query string as name → value (the last of repeated names wins).
    var queryDictionary: [String: String] {
        var result: [String: String] = [:]
        for (name, value) in uri.queryParameters { result[String(name)] = String(value) }
        return result
    }
}
