import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/reviews`: anyone reads; the consumer of a completed booking writes
/// one; the reviewer edits for 7 days; the provider answers once.
public struct ReviewController<Context: ServiceRequestContext>: Sendable {
    let reviews: ReviewStore
    let directory: ProviderDirectory
    let stats: DailyStats

    public init(reviews: ReviewStore, directory: ProviderDirectory, stats: DailyStats) {
        self.reviews = reviews
        self.directory = directory
        self.stats = stats
    }

    /// `group` reads tokens when sent (`AuthenticationMiddleware(required: false)`).
    public func addRoutes(to group: RouterGroup<Context>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: show)
        group.put(":id", use: update)
        group.delete(":id", use: remove)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Envelope<[ReviewDTO]> {
        guard let raw = request.uri.queryParameters.get("providerId") else {
            throw APIError.validation("providerId", "Give the provider whose reviews to list")
        }
        guard let providerId = UUID(uuidString: raw) else { throw APIError.validation("providerId", "Provider id must be a UUID") }
        return try await page(of: providerId, request)
    }

    /// Also `GET /v1/providers/:id/reviews`.
    func page(of providerId: UUID, _ request: Request) async throws -> Envelope<[ReviewDTO]> {
        let page = try request.pageRequest()
        let (items, total) = try await reviews.list(providerId: providerId, page: page)
        return Envelope(items, page: page, total: total)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<ReviewDTO> {
        guard let review = try await reviews.find(id: try Self.id(context)) else { throw APIError.notFound("No such review") }
        return Envelope(review)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Envelope<ReviewDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: ReviewRequest.self, context: context)
        let fields = try ReviewFields.validate(body, creating: true)
        let review = try await reviews.create(reviewer: identity, fields, requestId: context.requestId)
        await directory.changed(review.providerId)
        await stats.count(.reviewsCreated)
        return Envelope(review, status: .created)
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Envelope<ReviewDTO> {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        let body = try await request.decodeJSON(as: ReviewRequest.self, context: context)
        let fields = try ReviewFields.validate(body, creating: false)
        let review = try await reviews.update(id: id, by: identity, fields, requestId: context.requestId)
        await directory.changed(review.providerId)
        return Envelope(review)
    }

    @Sendable func remove(_ request: Request, context: Context) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        let providerId = try await reviews.delete(id: id, by: identity, requestId: context.requestId)
        await directory.changed(providerId)
        return Response(status: .noContent)
    }

    static func id(_ context: Context) throws -> UUID {
        try context.uuidParameter(what: "Review id")
    }
}
