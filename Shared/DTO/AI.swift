import Foundation

/// `GET /v1/ai/trust-score/:userId`: a provider's score, 0–1000, what makes
/// it up, and how it moved.
public struct TrustScoreDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var userId: UUID
    @LowercaseUUID public var providerId: UUID
    public var score: Int
    public var factors: [TrustFactorDTO]
    public var updatedAt: String
    public var history: [TrustHistoryDTO]

    public init(userId: UUID, providerId: UUID, score: Int, factors: [TrustFactorDTO], updatedAt: String, history: [TrustHistoryDTO]) {
        self.userId = userId
        self.providerId = providerId
        self.score = score
        self.factors = factors
        self.updatedAt = updatedAt
        self.history = history
    }
}

public struct TrustFactorDTO: Codable, Sendable, Equatable {
    /// completionRate, responseTime, rating, accountAge, disputeRate.
    public var name: String
    /// 0–1.
    public var value: Double
    public var weight: Double
    /// What it adds to the score (value × weight × 1000).
    public var points: Double
    public var detail: String

    public init(name: String, value: Double, weight: Double, points: Double, detail: String) {
        self.name = name
        self.value = value
        self.weight = weight
        self.points = points
        self.detail = detail
    }
}

public struct TrustHistoryDTO: Codable, Sendable, Equatable {
    public var oldScore: Int?
    public var newScore: Int
    public var reason: String
    public var createdAt: String

    public init(oldScore: Int?, newScore: Int, reason: String, createdAt: String) {
        self.oldScore = oldScore
        self.newScore = newScore
        self.reason = reason
        self.createdAt = createdAt
    }
}

/// `POST /v1/ai/trust-score/calculate` (admins and services).
public struct CalculateTrustRequest: Codable, Sendable {
    public var userId: String?
    public init(userId: String? = nil) { self.userId = userId }
}
