import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/ai/trust-score`: anyone reads a provider's score and what makes it
/// up (it shows on profiles and in search); admins recalculate on demand.
public struct TrustController<Context: ServiceRequestContext>: Sendable {
    let trust: TrustStore
    let models: ModelStore

    public init(trust: TrustStore, models: ModelStore) {
        self.trust = trust
        self.models = models
    }

    /// `group` reads a token when there is one.
    public func addRoutes(to group: RouterGroup<Context>) {
        group.post("calculate", use: calculate)
        group.post("predict", use: predict)
        group.get(":id", use: show)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<TrustScoreDTO> {
        guard let score = try await trust.score(userId: try context.uuidParameter(what: "User id")) else {
            throw APIError.notFound("No trust score for this user (scores are kept for providers)")
        }
        return Envelope(score)
    }

    @Sendable func calculate(_ request: Request, context: Context) async throws -> Envelope<TrustScoreDTO> {
        _ = try context.requireIdentity()
        let body = try await request.decodeJSON(as: CalculateTrustRequest.self, context: context)
        guard let userId = body.userId.flatMap(UUID.init(uuidString:)) else {
            throw APIError.validation("userId", "userId must be the provider's user id (a UUID)")
        }
        try context.requireRole(.admin, "Only admins recalculate trust scores")
        guard let score = try await trust.recalculate(userId: userId, requestId: context.requestId) else {
            throw APIError.notFound("No provider with this user id")
        }
        return Envelope(score)
    }

    /// The chance a booking with the provider completes without a dispute.
    @Sendable func predict(_ request: Request, context: Context) async throws -> Envelope<PredictionDTO> {
        _ = try context.requireIdentity()
        let body = try await request.decodeJSON(as: PredictRequest.self, context: context)
        var v = Validator()
        let userId = body.userId.flatMap(UUID.init(uuidString:))
        v.check(userId != nil, "userId", "userId must be the provider's user id (a UUID)")
        let amount = body.amount ?? 150_000
        v.check((100...100_000_000).contains(amount), "amount", "amount is 100 to 100000000 centavos")
        try v.validate()
        guard let record = try await trust.record(userId: userId!) else { throw APIError.notFound("No provider with this user id") }
        guard let model = try await models.active() else { throw APIError.unavailable("No completion model is active") }
        let x = CompletionModel.features(record, amount: amount)
        return Envelope(PredictionDTO(
            userId: userId!, probability: (model.probability(x) * 10_000).rounded() / 10_000, modelVersion: model.version,
            modelSource: model.source, modelAuc: model.auc,
            features: Dictionary(uniqueKeysWithValues: zip(CompletionModel.features, x).filter { $0.0 != "bias" }.map { ($0.0, ($0.1 * 10_000).rounded() / 10_000) })))
    }
}
