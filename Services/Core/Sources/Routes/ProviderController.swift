import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/providers`: anyone reads; a signed-in user creates their own (one);
/// the owner or an admin changes or removes it.
public struct ProviderController<Context: ServiceRequestContext>: Sendable {
    let providers: ProviderStore
    let profiles: ProfileService
    let reviews: ReviewController<Context>
    let directory: ProviderDirectory
    let files: FileDirectory

    public init(providers: ProviderStore, profiles: ProfileService, reviews: ReviewController<Context>, directory: ProviderDirectory,
                files: FileDirectory) {
        self.providers = providers
        self.profiles = profiles
        self.reviews = reviews
        self.directory = directory
        self.files = files
    }

    /// `group` reads tokens when sent (`AuthenticationMiddleware(required: false)`).
    public func addRoutes(to group: RouterGroup<Context>) {
        group.get(use: list)
        group.get("search", use: search)
        group.post(use: create)
        group.get(":id", use: show)
        group.put(":id", use: update)
        group.delete(":id", use: remove)
        group.get(":id/reviews", use: providerReviews)
        group.get(":id/portfolio", use: portfolio)
        group.post(":id/portfolio", use: addPortfolioItem)
        group.delete(":id/portfolio/:itemId", use: removePortfolioItem)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Envelope<[ProviderDTO]> {
        let query = request.uri.queryParameters
        let page = try request.pageRequest()
        var category: UUID?
        if let raw = query.get("category") {
            guard let id = UUID(uuidString: raw) else { throw APIError.validation("category", "Category must be a UUID") }
            category = id
        }
        let (items, total) = try await providers.list(categoryId: category, page: page)
        return Envelope(items, page: page, total: total)
    }

    @Sendable func search(_ request: Request, context: Context) async throws -> Envelope<[ProviderSearchHit]> {
        try await directory.search(request.queryDictionary)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<ProviderDTO> {
        guard let provider = try await directory.provider(try Self.id(context)) else { throw APIError.notFound("No such provider") }
        return Envelope(provider)
    }

    @Sendable func providerReviews(_ request: Request, context: Context) async throws -> Envelope<[ReviewDTO]> {
        let id = try Self.id(context)
        guard try await providers.find(id: id) != nil else { throw APIError.notFound("No such provider") }
        return try await reviews.page(of: id, request)
    }

    @Sendable func portfolio(_ request: Request, context: Context) async throws -> Envelope<[PortfolioItemDTO]> {
        let id = try Self.id(context)
        guard try await providers.find(id: id) != nil else { throw APIError.notFound("No such provider") }
        return Envelope(try await providers.portfolio(providerId: id))
    }

    @Sendable func addPortfolioItem(_ request: Request, context: Context) async throws -> Envelope<PortfolioItemDTO> {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        let fields = try PortfolioFields.validate(try await request.decodeJSON(as: PortfolioItemRequest.self, context: context))
        try await requireOwnerOrAdmin(id, identity)
        // The photos are the provider's own uploads for the portfolio.
        let owner = try await providers.find(id: id)?.userId ?? identity.userId
        for (n, file) in fields.fileIds.enumerated() {
            try await files.verify(file, owner: owner, purposes: ["portfolio"], field: "fileIds[\(n)]", requestId: context.requestId)
        }
        return Envelope(try await providers.addPortfolioItem(providerId: id, fields), status: .created)
    }

    @Sendable func removePortfolioItem(_ request: Request, context: Context) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        let item = try context.uuidParameter("itemId", what: "Portfolio item id")
        try await requireOwnerOrAdmin(id, identity)
        guard try await providers.deletePortfolioItem(item, providerId: id) else { throw APIError.notFound("No such portfolio item") }
        return Response(status: .noContent)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Envelope<ProviderDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: ProviderRequest.self, context: context)
        let fields = try ProviderFields.validate(body, creating: true)
        // The profile row the provider hangs on (made now if the event lags).
        _ = try await profiles.profile(of: identity, requestId: context.requestId)
        let created = try await providers.create(userId: identity.userId, fields, requestId: context.requestId)
        await directory.changed(created.id)
        return Envelope(created, status: .created)
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Envelope<ProviderDTO> {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        let body = try await request.decodeJSON(as: ProviderRequest.self, context: context)
        let fields = try ProviderFields.validate(body, creating: false)
        try await requireOwnerOrAdmin(id, identity)
        guard let updated = try await providers.update(id: id, fields, requestId: context.requestId) else { throw APIError.notFound("No such provider") }
        await directory.changed(id)
        return Envelope(updated)
    }

    @Sendable func remove(_ request: Request, context: Context) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        try await requireOwnerOrAdmin(id, identity)
        guard try await providers.delete(id: id, requestId: context.requestId) else { throw APIError.notFound("No such provider") }
        await directory.changed(id)
        return Response(status: .noContent)
    }

    private func requireOwnerOrAdmin(_ id: UUID, _ identity: Identity) async throws {
        guard let provider = try await providers.find(id: id) else { throw APIError.notFound("No such provider") }
        try identity.requireAdmin(orOneOf: provider.userId, message: "Only the provider or an admin may change this profile")
    }

    static func id(_ context: Context) throws -> UUID {
        try context.uuidParameter(what: "Provider id")
    }
}
