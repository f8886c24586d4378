import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO

/// Provider search in PostgreSQL (seed 4.4): weighted full-text relevance,
/// typo correction, category with its sub-categories, earth distance, filters.
public struct ProviderSearchStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public enum Failure: Error, Equatable { case unknownCategory }

    /// The category's id (its providers carry it in `category_path`, with
    /// their own); nil when there is no such category.
    public func category(_ ref: ProviderSearch.CategoryRef) async throws -> [UUID]? {
        let ids = try await Self.ids(try await client.query(Self.categoryQuery(ref), logger: logger))
        return ids.isEmpty ? nil : ids
    }

    static func categoryQuery(_ ref: ProviderSearch.CategoryRef) -> PostgresQuery {
        let (id, slug): (UUID?, String?) = switch ref {
        case .id(let id): (id, nil)
        case .slug(let slug): (nil, slug)
        }
        return "SELECT id FROM core.categories WHERE id = \(id) OR slug = \(slug)"
    }

    static func ids(_ rows: PostgresRowSequence) async throws -> [UUID] {
        var ids: [UUID] = []
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        return ids
    }

    public func search(_ s: ProviderSearch) async throws -> (hits: [ProviderSearchHit], total: Int) {
        var categories: [UUID]?
        if let ref = s.category {
            guard let ids = try await category(ref) else { throw Failure.unknownCategory }
            categories = ids
        }
        var s = s
        if let text = s.text { s.text = try await Self.corrected(text, client.query(Self.correctionQuery(text), logger: logger)) }
        let execute: (PostgresQuery) async throws -> PostgresRowSequence = { try await client.query($0, logger: logger) }
        let result = try await Self.run(s, categories: categories, anyWord: false, execute)
        if result.total == 0, s.text?.contains(" ") == true {
            // No provider has every word: rank those with any of them.
            return try await Self.run(s, categories: categories, anyWord: true, execute)
        }
        return result
    }

    /// Each word of the search that no provider uses becomes the closest word
    /// one does ("claening" → "cleaning"); known and short words stay.
    static func correctionQuery(_ text: String) -> PostgresQuery {
        """
        SELECT COALESCE(string_agg(
            CASE WHEN length(q) < 3 OR EXISTS (SELECT 1 FROM core.search_vocabulary v WHERE v.word = q) THEN q
                 ELSE COALESCE((SELECT v.word FROM core.search_vocabulary v WHERE v.word % q ORDER BY v.word <-> q LIMIT 1), q) END,
            ' ' ORDER BY n), '')
        FROM unnest(regexp_split_to_array(lower(\(text)), '[^[:alnum:]]+')) WITH ORDINALITY AS t(q, n)
        WHERE q <> ''
        """
    }

    static func corrected(_ original: String, _ rows: PostgresRowSequence) async throws -> String {
        for try await text in rows.decode(String.self) where !text.isEmpty { return text }
        return original
    }

    /// The search on one connection (benchmarks change its planner settings).
    public static func onConnection(
        _ connection: PostgresConnection, logger: Logger
    ) -> @Sendable (ProviderSearch) async throws -> (hits: [ProviderSearchHit], total: Int) {
        { s in
            var categories: [UUID]?
            if let ref = s.category { categories = try await ids(try await connection.query(categoryQuery(ref), logger: logger)) }
            var s = s
            if let text = s.text { s.text = try await corrected(text, connection.query(correctionQuery(text), logger: logger)) }
            return try await run(s, categories: categories, anyWord: false) { try await connection.query($0, logger: logger) }
        }
    }

    /// Totals are counted up to this many matches, as search engines do;
    /// pages end there too (`ProviderSearch.maxResults`).
    static let countCap = ProviderSearch.maxResults

    /// One page of matches, best first. `anyWord`: providers with any of the
    /// words instead of all of them. Unless the scan can stop early
    /// (`readsInIndexOrder`), every match is read to be ranked anyway, so the
    /// page carries the count too (`total`, capped).
    static func query(_ s: ProviderSearch, categories: [UUID]?, anyWord: Bool) -> PostgresQuery {
        var sql = PostgresQuery.StringInterpolation(literalCapacity: 2048, interpolationCount: 32)
        sql.appendLiteral("SELECT \(ProviderStore.columns), ")
        if s.centre != nil {
            sql.appendLiteral("public.earth_distance(")
            appendCentre(&sql, s)
            sql.appendLiteral(", earth_point) AS distance_m, ")
        } else {
            sql.appendLiteral("NULL::float8 AS distance_m, ")
        }
        if s.sort == .relevance {
            // Ranked only when ranking decides the order (it reads every match).
            sql.appendLiteral("ts_rank_cd(search_vector, ")
            appendTSQuery(&sql, s.text, anyWord: anyWord)
            sql.appendLiteral(", 32) + trust_score / 1000.0 AS relevance, ")
        }
        sql.appendLiteral(s.readsInIndexOrder ? "NULL::int AS total " : "count(*) OVER ()::int AS total ")
        sql.appendLiteral("FROM core.providers ")
        appendFilters(&sql, s, categories: categories, anyWord: anyWord)
        // With words to match, every match is read anyway (to rank and count):
        // `+ 0` keeps the planner off an index-ordered scan that would test
        // the words row by row across the whole table.
        let plain = s.readsInIndexOrder ? "" : " + 0"
        switch s.sort {
        case .relevance: sql.appendLiteral(" ORDER BY relevance DESC, trust_score DESC, id")
        case .trust: sql.appendLiteral(" ORDER BY trust_score\(plain) DESC, avg_rating DESC, id")
        case .rating: sql.appendLiteral(" ORDER BY avg_rating\(plain) DESC, total_reviews DESC, trust_score DESC, id")
        case .price: sql.appendLiteral(" ORDER BY hourly_rate_centavos\(plain) ASC, trust_score DESC, id")
        case .distance:
            // Nearest first, straight from the earth-box index (KNN); no
            // tie-breaker, which would force reading every row to sort.
            sql.appendLiteral(" ORDER BY earth_point OPERATOR(public.<->) ")
            appendCentre(&sql, s)
        }
        sql.appendLiteral(" LIMIT ")
        sql.appendInterpolation(s.page.limit)
        sql.appendLiteral(" OFFSET ")
        sql.appendInterpolation(s.page.offset)
        return PostgresQuery(stringInterpolation: sql)
    }

    static func appendCentre(_ sql: inout PostgresQuery.StringInterpolation, _ s: ProviderSearch) {
        sql.appendLiteral("public.ll_to_earth(")
        sql.appendInterpolation(s.centre?.latitude)
        sql.appendLiteral(", ")
        sql.appendInterpolation(s.centre?.longitude)
        sql.appendLiteral(")")
    }

    /// How many providers match, up to `countCap`.
    static func countQuery(_ s: ProviderSearch, categories: [UUID]?, anyWord: Bool) -> PostgresQuery {
        var sql = PostgresQuery.StringInterpolation(literalCapacity: 1024, interpolationCount: 20)
        sql.appendLiteral("SELECT count(*)::int FROM (SELECT 1 FROM core.providers ")
        appendFilters(&sql, s, categories: categories, anyWord: anyWord)
        sql.appendLiteral(" LIMIT \(countCap)) matches")
        return PostgresQuery(stringInterpolation: sql)
    }

    static func appendTSQuery(_ sql: inout PostgresQuery.StringInterpolation, _ text: String?, anyWord: Bool) {
        sql.appendLiteral(anyWord ? "replace(websearch_to_tsquery('english', " : "websearch_to_tsquery('english', ")
        sql.appendInterpolation(text)
        sql.appendLiteral(anyWord ? ")::text, ' & ', ' | ')::tsquery" : ")")
    }

    /// The WHERE clause: only the filters the search sets.
    static func appendFilters(_ sql: inout PostgresQuery.StringInterpolation, _ s: ProviderSearch, categories: [UUID]?, anyWord: Bool) {
        sql.appendLiteral("WHERE deleted_at IS NULL")
        if s.text != nil {
            sql.appendLiteral(" AND search_vector @@ ")
            appendTSQuery(&sql, s.text, anyWord: anyWord)
        }
        if let categories {
            sql.appendLiteral(" AND category_path && ")
            sql.appendInterpolation(categories)
        }
        if s.centre != nil {
            // The grid squares narrow the index scan, the exact distance
            // decides. Nearest-first and circles too wide for squares use the
            // earth-box index instead.
            let radiusMeters = s.radiusKm * 1000
            let cells = s.sort == .distance ? nil
                : s.centre.flatMap { GeoCells.cells(latitude: $0.latitude, longitude: $0.longitude, radiusKm: s.radiusKm) }
            if let cells {
                sql.appendLiteral(" AND geo_cells && ")
                sql.appendInterpolation(cells)
                sql.appendLiteral("::int[]")
            } else {
                sql.appendLiteral(" AND public.earth_box(")
                appendCentre(&sql, s)
                sql.appendLiteral(", ")
                sql.appendInterpolation(radiusMeters)
                sql.appendLiteral(") OPERATOR(public.@>) earth_point")
            }
            sql.appendLiteral(" AND public.earth_distance(")
            appendCentre(&sql, s)
            sql.appendLiteral(", earth_point) <= ")
            sql.appendInterpolation(radiusMeters)
        }
        if let area = s.areaText {
            sql.appendLiteral(" AND EXISTS (SELECT 1 FROM unnest(service_areas) a WHERE a ILIKE ")
            sql.appendInterpolation("%\(Self.escapeLike(area))%")
            sql.appendLiteral(")")
        }
        if let minTrust = s.minTrust {
            sql.appendLiteral(" AND trust_score >= ")
            sql.appendInterpolation(minTrust)
        }
        if let minRating = s.minRating {
            sql.appendLiteral(" AND avg_rating >= ")
            sql.appendInterpolation(minRating)
        }
        if let maxRate = s.maxRate {
            sql.appendLiteral(" AND hourly_rate_centavos <= ")
            sql.appendInterpolation(maxRate)
        }
        if let verified = s.verified {
            sql.appendLiteral(" AND is_verified = ")
            sql.appendInterpolation(verified)
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> (hits: [ProviderSearchHit], total: Int?) {
        var hits: [ProviderSearchHit] = []
        var total: Int?
        for try await row in rows {
            let cells = PostgresRandomAccessRow(row)
            let meters = try cells["distance_m"].decode(Double?.self)
            hits.append(ProviderSearchHit(provider: try ProviderStore.provider(from: row), distanceKm: meters.map { ($0 / 10).rounded() / 100 }))
            total = try cells["total"].decode(Int?.self).map { min($0, countCap) }
        }
        return (hits, total)
    }

    /// Runs the page query, and the count when the page does not carry it.
    static func run(
        _ s: ProviderSearch, categories: [UUID]?, anyWord: Bool, _ execute: (PostgresQuery) async throws -> PostgresRowSequence
    ) async throws -> (hits: [ProviderSearchHit], total: Int) {
        let (hits, carried) = try await decode(try await execute(query(s, categories: categories, anyWord: anyWord)))
        if let carried { return (hits, carried) }
        if s.page.page == 1 && hits.count < s.page.limit { return (hits, hits.count) }
        var total = 0
        for try await n in try await execute(countQuery(s, categories: categories, anyWord: anyWord)).decode(Int.self) { total = n }
        return (hits, total)
    }

    /// `%` and `_` in a place name are letters, not wildcards.
    static func escapeLike(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}
