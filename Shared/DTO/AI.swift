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

/// `POST /v1/ai/nlp/sentiment` and `/v1/ai/nlp/analyze`.
public struct TextRequest: Codable, Sendable {
    public var text: String?
    public init(text: String? = nil) { self.text = text }
}

public struct SentimentDTO: Codable, Sendable, Equatable {
    /// positive, negative, neutral.
    public var label: String
    /// −1 … 1.
    public var score: Double
    /// en, fil, taglish, unknown.
    public var language: String
    /// The words and phrases that counted, with their signed weight.
    public var evidence: [WeightedText]

    public init(label: String, score: Double, language: String, evidence: [WeightedText]) {
        self.label = label
        self.score = score
        self.language = language
        self.evidence = evidence
    }
}

public struct WeightedText: Codable, Sendable, Equatable {
    public var text: String
    public var weight: Double
    public init(text: String, weight: Double) {
        self.text = text
        self.weight = weight
    }
}

public struct RiskFlagDTO: Codable, Sendable, Equatable {
    /// offPlatformPayment, contactShared, insult, scam.
    public var kind: String
    public var evidence: String
    public init(kind: String, evidence: String) {
        self.kind = kind
        self.evidence = evidence
    }
}

/// `POST /v1/ai/nlp/analyze`: sentiment and risks.
public struct TextAnalysisDTO: Codable, Sendable, Equatable {
    public var sentiment: SentimentDTO
    public var flags: [RiskFlagDTO]
    /// none, low (contact details), medium (insults), high (off-platform payment, scams).
    public var riskLevel: String
    public var wordCount: Int

    public init(sentiment: SentimentDTO, flags: [RiskFlagDTO], riskLevel: String, wordCount: Int) {
        self.sentiment = sentiment
        self.flags = flags
        self.riskLevel = riskLevel
        self.wordCount = wordCount
    }
}

/// A review or chat message flagged high-risk, waiting for an admin.
public struct ModerationItemDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    /// review or chat.
    public var source: String
    @LowercaseUUID public var sourceId: UUID
    @LowercaseUUID public var authorId: UUID
    public var text: String
    public var flags: [RiskFlagDTO]
    public var riskLevel: String
    /// open, dismissed, actioned.
    public var status: String
    public var note: String?
    public var createdAt: String
    public var decidedAt: String?

    public init(id: UUID, source: String, sourceId: UUID, authorId: UUID, text: String, flags: [RiskFlagDTO], riskLevel: String, status: String,
                note: String?, createdAt: String, decidedAt: String?) {
        self.id = id
        self.source = source
        self.sourceId = sourceId
        self.authorId = authorId
        self.text = text
        self.flags = flags
        self.riskLevel = riskLevel
        self.status = status
        self.note = note
        self.createdAt = createdAt
        self.decidedAt = decidedAt
    }
}

/// `POST /v1/ai/moderation/:id/resolve` (an admin): `dismiss` (nothing wrong) or `action` (dealt with).
public struct ResolveModerationRequest: Codable, Sendable {
    public var action: String?
    public var note: String?
    public init(action: String? = nil, note: String? = nil) {
        self.action = action
        self.note = note
    }
}

/// `POST /v1/ai/matching/recommend` (and `/score` with `providerId`): what
/// the customer needs, where, for how much, when.
public struct MatchRequest: Codable, Sendable {
    public var text: String?
    /// A category id or name ("Aircon Cleaning").
    public var category: String?
    public var latitude: Double?
    public var longitude: Double?
    /// Hourly budget in centavos.
    public var budget: Int64?
    /// When the job would start (ISO-8601); providers booked then are left out.
    public var date: String?
    /// How long the job takes (default 2).
    public var hours: Double?
    public var limit: Int?
    public var providerId: String?

    public init(text: String? = nil, category: String? = nil, latitude: Double? = nil, longitude: Double? = nil, budget: Int64? = nil,
                date: String? = nil, hours: Double? = nil, limit: Int? = nil, providerId: String? = nil) {
        self.text = text
        self.category = category
        self.latitude = latitude
        self.longitude = longitude
        self.budget = budget
        self.date = date
        self.hours = hours
        self.limit = limit
        self.providerId = providerId
    }
}

public struct MatchBreakdownDTO: Codable, Sendable, Equatable {
    public var skill: Double
    public var proximity: Double
    public var trust: Double
    public var price: Double
    public init(skill: Double, proximity: Double, trust: Double, price: Double) {
        self.skill = skill
        self.proximity = proximity
        self.trust = trust
        self.price = price
    }
}

/// One ranked provider: 0–1 `score` = 0.4 skill + 0.3 proximity + 0.2 trust + 0.1 price.
public struct MatchDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var providerId: UUID
    @LowercaseUUID public var userId: UUID
    public var businessName: String
    public var hourlyRate: Int64
    public var trustScore: Int
    public var distanceKm: Double?
    public var score: Double
    public var breakdown: MatchBreakdownDTO

    public init(providerId: UUID, userId: UUID, businessName: String, hourlyRate: Int64, trustScore: Int, distanceKm: Double?, score: Double,
                breakdown: MatchBreakdownDTO) {
        self.providerId = providerId
        self.userId = userId
        self.businessName = businessName
        self.hourlyRate = hourlyRate
        self.trustScore = trustScore
        self.distanceKm = distanceKm
        self.score = score
        self.breakdown = breakdown
    }
}

/// `POST /v1/ai/trust-score/predict`: a provider (by user id) and the job's size.
public struct PredictRequest: Codable, Sendable {
    public var userId: String?
    /// Centavos (default ₱1,500).
    public var amount: Int64?
    public init(userId: String? = nil, amount: Int64? = nil) {
        self.userId = userId
        self.amount = amount
    }
}

/// The chance the booking completes without a dispute, and the model that said so.
public struct PredictionDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var userId: UUID
    public var probability: Double
    public var modelVersion: Int
    /// synthetic (the shipped first model) or platform.
    public var modelSource: String
    /// The model's AUC on held-out bookings when it was trained.
    public var modelAuc: Double
    public var features: [String: Double]

    public init(userId: UUID, probability: Double, modelVersion: Int, modelSource: String, modelAuc: Double, features: [String: Double]) {
        self.userId = userId
        self.probability = probability
        self.modelVersion = modelVersion
        self.modelSource = modelSource
        self.modelAuc = modelAuc
        self.features = features
    }
}
