import Foundation
import TrustTradeDTO

/// A validated provider search (`GET /v1/providers/search`).
public struct ProviderSearch: Sendable, Equatable {
    public enum Sort: String, Sendable, CaseIterable {
        case relevance, trust, rating, price, distance
    }

    /// A category by id, or by slug.
    public enum CategoryRef: Sendable, Equatable {
        case id(UUID)
        case slug(String)
    }

    public var text: String?
    public var category: CategoryRef?
    /// Centre of a distance search: given as lat/lng, or a known place name.
    public var centre: Centre?
    public var radiusKm: Double
    /// A place we have no pin for: matched against providers' service areas.
    public var areaText: String?
    public var minTrust: Int?
    public var minRating: Double?
    public var maxRate: Int64?
    public var verified: Bool?
    public var sort: Sort
    public var page: PageRequest

    public struct Centre: Sendable, Equatable {
        public var latitude: Double
        public var longitude: Double
    }

    public static let defaultRadiusKm = 10.0
    /// Results are counted and paged up to here (a search engine's result
    /// window: 50 pages of 20); past it, narrowing the search is the way on.
    public static let maxResults = 1_000

    /// From query parameters (`name → value`); every problem is reported together.
    public static func parse(_ query: [String: String]) throws(ValidationFailure) -> ProviderSearch {
        var v = Validator()
        func number(_ key: String) -> Double? {
            guard let raw = query[key] else { return nil }
            guard let value = Double(raw), value.isFinite else {
                v.fail(key, "\(key) must be a number")
                return nil
            }
            return value
        }
        var search = ProviderSearch(radiusKm: defaultRadiusKm, sort: .trust, page: PageRequest(page: 1, limit: 20))

        if let q = query["q"]?.trimmingCharacters(in: .whitespacesAndNewlines), !q.isEmpty {
            v.check(q.count <= 200, "q", "Search text must be at most 200 characters")
            // PostgreSQL keeps no NUL in text: a query with one could only fail.
            v.check(!q.unicodeScalars.contains("\0"), "q", "Search text must not contain the NUL character")
            search.text = String(q.prefix(200))
        }
        if let raw = query["category"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            if let id = UUID(uuidString: raw) {
                search.category = .id(id)
            } else if raw.range(of: "^[a-z0-9]+(-[a-z0-9]+)*$", options: .regularExpression) != nil, raw.count <= 80 {
                search.category = .slug(raw)
            } else {
                v.fail("category", "Category must be a category id or slug, e.g. aircon-cleaning")
            }
        }
        let lat = number("lat"), lng = number("lng")
        switch (lat, lng) {
        case (nil, nil): break
        case (let la?, let lo?):
            v.check((4.0...22.0).contains(la) && (116.0...127.0).contains(lo), "lat", "Location must be in the Philippines")
            search.centre = Centre(latitude: la, longitude: lo)
        default:
            v.fail("lat", "Give both lat and lng, or neither")
        }
        if let place = query["location"]?.trimmingCharacters(in: .whitespacesAndNewlines), !place.isEmpty {
            v.check(place.count <= 100, "location", "Location must be at most 100 characters")
            v.check(!place.unicodeScalars.contains("\0"), "location", "Location must not contain the NUL character")
            if search.centre == nil, let pin = PhilippinePlaces.find(place) {
                search.centre = Centre(latitude: pin.latitude, longitude: pin.longitude)
            } else if search.centre == nil {
                search.areaText = String(place.prefix(100))
            }
        }
        if let radius = number("radiusKm") {
            v.check((0.5...200).contains(radius), "radiusKm", "radiusKm must be 0.5 to 200")
            search.radiusKm = radius
        }
        if let trust = number("minTrust") {
            let valid = (0...1000).contains(trust) && trust == trust.rounded()
            v.check(valid, "minTrust", "minTrust must be a whole number 0 to 1000")
            // Converted only when in range: Int(1e40) traps (it took the service down).
            if valid { search.minTrust = Int(trust) }
        }
        if let rating = number("minRating") {
            v.check((0...5).contains(rating), "minRating", "minRating must be 0 to 5")
            search.minRating = rating
        }
        if let raw = query["maxRate"] {
            if let rate = Int64(raw), rate >= 0 {
                search.maxRate = rate
            } else {
                v.fail("maxRate", "maxRate is an hourly rate in centavos (a whole number ≥ 0)")
            }
        }
        if let raw = query["verified"] {
            switch raw.lowercased() {
            case "true", "1": search.verified = true
            case "false", "0": search.verified = false
            default: v.fail("verified", "verified must be true or false")
            }
        }
        if let raw = query["sort"] {
            if let sort = Sort(rawValue: raw) {
                search.sort = sort
            } else {
                v.fail("sort", "sort must be one of \(Sort.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        } else {
            search.sort = search.text != nil ? .relevance : (search.centre != nil ? .distance : .trust)
        }
        if search.sort == .distance && search.centre == nil {
            v.fail("sort", "Sorting by distance needs lat and lng, or a known location")
        }
        // Without words there is nothing to be relevant to.
        if search.sort == .relevance && search.text == nil { search.sort = .trust }
        switch PageRequest.parse(page: query["page"], limit: query["limit"]) {
        case .success(let page):
            search.page = page
            v.check(page.offset + page.limit <= maxResults, "page", "Search results go up to \(maxResults); narrow the search to see more")
        case .failure(let failure): for field in failure.fields { v.fail(field.field, field.message) }
        }
        try v.validate()
        return search
    }

    /// True when the best matches can be read in index order and the scan
    /// stop early: no words to rank, and either no circle (trust, rating and
    /// price have their indexes) or nearest-first (the earth-box index).
    /// Otherwise every match is read anyway, and counting them is free.
    public var readsInIndexOrder: Bool {
        text == nil && sort != .relevance && (centre == nil || sort == .distance)
    }

    /// A stable text form: equal searches share a cache entry.
    public var cacheKey: String {
        let category: String = switch self.category {
        case .id(let id): id.uuidString.lowercased()
        case .slug(let slug): slug
        case nil: ""
        }
        let parts: [String] = [
            text?.lowercased() ?? "", category,
            centre.map { String(format: "%.4f,%.4f", $0.latitude, $0.longitude) } ?? "", String(radiusKm), areaText?.lowercased() ?? "",
            minTrust.map(String.init) ?? "", minRating.map { String($0) } ?? "", maxRate.map(String.init) ?? "",
            verified.map(String.init) ?? "", sort.rawValue, String(page.page), String(page.limit),
        ]
        return parts.joined(separator: "|")
    }
}
