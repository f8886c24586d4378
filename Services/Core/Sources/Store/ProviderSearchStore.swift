import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO

/// Provider search in PostgreSQL (seed 4.4): weighted full-text relevance,
/// trigram matching for typos, category subtree, earth distance, filters.
public struct ProviderSearchStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public enum Failure: Error, Equatable { case unknownCategory }

    /// The category and everything under it; nil when there is no such category.
    public func subtree(_ ref: ProviderSearch.CategoryRef) async throws -> [UUID]? {
        let (id, slug): (UUID?, String?) = switch ref {
        case .id(let id): (id, nil)
        case .slug(let slug): (nil, slug)
        }
        let rows = try await client.query(
            """
            WITH RECURSIVE subtree AS (
                SELECT id FROM core.categories WHERE id = \(id) OR slug = \(slug)
                UNION ALL
                SELECT c.id FROM core.categories c JOIN subtree s ON c.parent_id = s.id
            )
            SELECT id FROM subtree
            """, logger: logger)
        var ids: [UUID] = []
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        return ids.isEmpty ? nil : ids
    }

    public func search(_ s: ProviderSearch) async throws -> (hits: [ProviderSearchHit], total: Int) {
        var categories: [UUID]?
        if let ref = s.category {
            guard let ids = try await subtree(ref) else { throw Failure.unknownCategory }
            categories = ids
        }
        let text = s.text
        let lat = s.centre?.latitude, lng = s.centre?.longitude
        let radiusMeters = s.radiusKm * 1000
        let order: String = switch s.sort {
        case .relevance: "relevance DESC, trust_score DESC, id"
        case .trust: "trust_score DESC, avg_rating DESC, id"
        case .rating: "avg_rating DESC, total_reviews DESC, trust_score DESC, id"
        case .price: "hourly_rate_centavos ASC, trust_score DESC, id"
        case .distance: "distance_m ASC NULLS LAST, id"
        }
        let area = s.areaText.map { "%\(Self.escapeLike($0))%" }
        // Unset filters are NULL parameters; the server plans this unnamed
        // statement with the values bound, so they drop out of the plan.
        let rows = try await client.query(
            """
            SELECT \(unescaped: ProviderStore.columns),
                CASE WHEN \(lat)::float8 IS NULL THEN NULL
                     ELSE earth_distance(ll_to_earth(\(lat), \(lng)), ll_to_earth(latitude, longitude)) END AS distance_m,
                CASE WHEN \(text)::text IS NULL THEN 0
                     ELSE ts_rank_cd(search_vector, websearch_to_tsquery('english', \(text)), 32)
                          + word_similarity(lower(\(text)), search_terms) + trust_score / 500.0 END AS relevance,
                count(*) OVER ()::int AS total
            FROM core.providers
            WHERE deleted_at IS NULL
              AND (\(text)::text IS NULL
                   OR search_vector @@ websearch_to_tsquery('english', \(text))
                   OR search_terms %> lower(\(text)))
              AND (\(categories)::uuid[] IS NULL OR category_id = ANY(\(categories)))
              AND (\(lat)::float8 IS NULL OR (
                   latitude IS NOT NULL
                   AND earth_box(ll_to_earth(\(lat), \(lng)), \(radiusMeters)) @> ll_to_earth(latitude, longitude)
                   AND earth_distance(ll_to_earth(\(lat), \(lng)), ll_to_earth(latitude, longitude)) <= \(radiusMeters)))
              AND (\(area)::text IS NULL OR EXISTS (SELECT 1 FROM unnest(service_areas) a WHERE a ILIKE \(area)))
              AND (\(s.minTrust)::int IS NULL OR trust_score >= \(s.minTrust))
              AND (\(s.minRating)::float8 IS NULL OR avg_rating >= \(s.minRating))
              AND (\(s.maxRate)::bigint IS NULL OR hourly_rate_centavos <= \(s.maxRate))
              AND (\(s.verified)::bool IS NULL OR is_verified = \(s.verified))
            ORDER BY \(unescaped: order)
            LIMIT \(s.page.limit) OFFSET \(s.page.offset)
            """, logger: logger)
        var hits: [ProviderSearchHit] = []
        var total = 0
        for try await row in rows {
            let cells = PostgresRandomAccessRow(row)
            let meters = try cells["distance_m"].decode(Double?.self)
            hits.append(ProviderSearchHit(
                provider: try ProviderStore.provider(from: row),
                distanceKm: meters.map { ($0 / 10).rounded() / 100 }))
            total = try cells["total"].decode(Int.self)
        }
        return (hits, total)
    }

    /// `%` and `_` in a place name are letters, not wildcards.
    static func escapeLike(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}
