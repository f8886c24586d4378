import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/ai/matching`: providers ranked for a request (recommend), or one
/// provider scored for it (score), each with the breakdown of its score.
public struct MatchingController<Context: ServiceRequestContext>: Sendable {
    let index: MatchingIndex
    let store: MatchingStore

    public init(index: MatchingIndex, store: MatchingStore) {
        self.index = index
        self.store = store
    }

    public func addRoutes(to group: RouterGroup<Context>) {
        group.post("recommend", use: recommend)
        group.post("score", use: score)
    }

    @Sendable func recommend(_ request: Request, context: Context) async throws -> Envelope<[MatchDTO]> {
        let body = try await request.decodeJSON(as: MatchRequest.self, context: context)
        let r = try await self.request(body)
        return Envelope(index.recommend(r).map(Self.dto))
    }

    @Sendable func score(_ request: Request, context: Context) async throws -> Envelope<MatchDTO> {
        let body = try await request.decodeJSON(as: MatchRequest.self, context: context)
        guard let providerId = body.providerId.flatMap(UUID.init(uuidString:)) else {
            throw APIError.validation("providerId", "providerId must be the provider's id (a UUID)")
        }
        let r = try await self.request(body)
        guard let match = index.score(providerId: providerId, r) else { throw APIError.notFound("No such provider") }
        return Envelope(Self.dto(match))
    }

    /// Checks the request; finds who is booked at the time asked.
    func request(_ body: MatchRequest) async throws -> MatchingIndex.Request {
        var v = Validator()
        let text = (body.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        v.check(text.count <= 500, "text", "text is at most 500 characters")
        let category = body.category?.trimmingCharacters(in: .whitespacesAndNewlines)
        v.check(!text.isEmpty || !(category ?? "").isEmpty, "text", "Say what you need: text, category or both")
        switch (body.latitude, body.longitude) {
        case (nil, nil): break
        case (let lat?, let lon?):
            v.check(lat.isFinite && (-90...90).contains(lat), "latitude", "latitude must be -90 to 90")
            v.check(lon.isFinite && (-180...180).contains(lon), "longitude", "longitude must be -180 to 180")
        default: v.fail("latitude", "latitude and longitude go together")
        }
        if let budget = body.budget { v.check(budget > 0, "budget", "budget is an hourly amount in centavos, more than 0") }
        let start = body.date.flatMap(ISO8601.date(from:))
        if body.date != nil { v.check(start != nil, "date", "date must be an ISO-8601 time") }
        let hours = body.hours ?? 2
        v.check(hours.isFinite && hours > 0 && hours <= 24, "hours", "hours is more than 0 and at most 24")
        let limit = body.limit ?? 10
        v.check((1...50).contains(limit), "limit", "limit is 1 to 50")
        try v.validate()
        var busy: Set<UUID> = []
        if let start { busy = try await store.busy(from: start, to: start.addingTimeInterval(hours * 3_600)) }
        return MatchingIndex.Request(text: text, category: category.flatMap { $0.isEmpty ? nil : $0 }, latitude: body.latitude,
                                     longitude: body.longitude, budget: body.budget, exclude: busy, limit: limit)
    }

    static func dto(_ m: MatchingIndex.Match) -> MatchDTO {
        MatchDTO(providerId: m.provider.id, userId: m.provider.userId, businessName: m.provider.businessName, hourlyRate: m.provider.hourlyRate,
                 trustScore: m.provider.trustScore, distanceKm: m.distanceKm, score: m.breakdown.total,
                 breakdown: MatchBreakdownDTO(skill: m.breakdown.skill, proximity: m.breakdown.proximity, trust: m.breakdown.trust,
                                              price: m.breakdown.price))
    }
}
