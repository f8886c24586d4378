import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/ai/trust-score`: anyone reads a provider's score and what makes it
/// up (it shows on profiles and in search); admins recalculate on demand.
public struct TrustController<Context: ServiceRequestContext>: Sendable {
    let trust: TrustStore

    public init(trust: TrustStore) {
        self.trust = trust
    }

    /// `group` reads a token when there is one.
    public func addRoutes(to group: RouterGroup<Context>) {
        group.post("calculate", use: calculate)
        group.get(":id", use: show)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<TrustScoreDTO> {
        guard let score = try await trust.score(userId: try context.uuidParameter(what: "User id")) else {
            throw APIError.notFound("No trust score for this user (scores are kept for providers)")
        }
        return Envelope(score)
    }

    @Sendable func calculate(_ request: Request, context: Context) async throws -> Envelope<TrustScoreDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: CalculateTrustRequest.self, context: context)
        guard let userId = body.userId.flatMap(UUID.init(uuidString:)) else {
            throw APIError.validation("userId", "userId must be the provider's user id (a UUID)")
        }
        guard identity.userType == .admin else { throw APIError.forbidden("Only admins recalculate trust scores") }
        guard let score = try await trust.recalculate(userId: userId, requestId: context.requestId) else {
            throw APIError.notFound("No provider with this user id")
        }
        return Envelope(score)
    }
}
