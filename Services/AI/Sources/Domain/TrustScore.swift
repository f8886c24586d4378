import Foundation

/// What the platform saw a provider do, as the trust score reads it.
public struct TrustInputs: Sendable, Equatable, Codable {
    /// Accepted jobs that completed.
    public var completed: Int
    /// Accepted jobs the provider then called off.
    public var providerCancelled: Int
    /// Requests the provider answered (accepted or rejected), and the hours
    /// they took in total; requests left to expire count as 24 hours each.
    public var answered: Int
    public var responseHours: Double
    /// Live reviews: how many, and the sum of their stars.
    public var reviews: Int
    public var ratingSum: Int
    /// Days since the provider profile was made.
    public var accountAgeDays: Double
    /// Jobs a customer disputed.
    public var disputed: Int

    public init(completed: Int = 0, providerCancelled: Int = 0, answered: Int = 0, responseHours: Double = 0, reviews: Int = 0,
                ratingSum: Int = 0, accountAgeDays: Double = 0, disputed: Int = 0) {
        self.completed = completed
        self.providerCancelled = providerCancelled
        self.answered = answered
        self.responseHours = responseHours
        self.reviews = reviews
        self.ratingSum = ratingSum
        self.accountAgeDays = accountAgeDays
        self.disputed = disputed
    }
}

/// One factor of the score: its value 0–1, its weight, and the points it
/// gives (value × weight × 1000).
public struct TrustFactor: Sendable, Equatable, Codable {
    public var name: String
    public var value: Double
    public var weight: Double
    public var points: Double
    /// The figures it came from, as a person reads them.
    public var detail: String
}

/// The trust score, 0–1000, with the seed's weights: completion rate 30 %,
/// response time 20 %, rating 25 %, account age 15 %, dispute rate 10 %.
/// Few data points are smoothed toward a prior (a Bayesian average), so one
/// 5-star review does not outrank two hundred 4.8s. Pure.
public enum TrustScoreModel {
    public static let weights: [(String, Double)] = [
        ("completionRate", 0.30), ("responseTime", 0.20), ("rating", 0.25), ("accountAge", 0.15), ("disputeRate", 0.10),
    ]

    /// Completion: (completed + 0.8 × 5) / (completed + cancelled by the
    /// provider + 5) — a newcomer starts at 0.8.
    public static func completion(_ i: TrustInputs) -> Double {
        (Double(i.completed) + 0.8 * 5) / Double(i.completed + i.providerCancelled + 5)
    }

    /// Response: the mean hours to answer, smoothed with 3 answers of 2 h,
    /// then exp(−hours / 6): at once 1.0, 1 h 0.85, 6 h 0.37, a day 0.02.
    public static func response(_ i: TrustInputs) -> Double {
        let hours = (max(0, i.responseHours) + 2 * 3) / Double(i.answered + 3)
        return exp(-hours / 6)
    }

    /// Rating: the mean stars smoothed with 10 reviews of 3.5, mapped 1–5 → 0–1.
    public static func rating(_ i: TrustInputs) -> Double {
        let mean = (Double(i.ratingSum) + 3.5 * 10) / Double(i.reviews + 10)
        return min(1, max(0, (mean - 1) / 4))
    }

    /// Age: ln(1 + days) / ln(1 + 730) — two years on the platform is full.
    public static func age(_ i: TrustInputs) -> Double {
        min(1, log1p(max(0, i.accountAgeDays)) / log1p(730))
    }

    /// Disputes: the share of jobs disputed, smoothed with 10 jobs at 5 %;
    /// 1 at none, 0 at a quarter or more.
    public static func disputes(_ i: TrustInputs) -> Double {
        let jobs = i.completed + i.providerCancelled
        let rate = (Double(i.disputed) + 0.05 * 10) / Double(jobs + 10)
        return max(0, 1 - rate / 0.25)
    }

    public static func score(_ i: TrustInputs) -> (score: Int, factors: [TrustFactor]) {
        let values = [completion(i), response(i), rating(i), age(i), disputes(i)]
        let meanHours = i.answered > 0 ? i.responseHours / Double(i.answered) : 0
        let details = [
            "\(i.completed) completed, \(i.providerCancelled) called off by the provider",
            i.answered > 0 ? String(format: "%d answered, %.1f h on average", i.answered, meanHours) : "no requests answered yet",
            i.reviews > 0 ? String(format: "%d reviews, %.2f stars on average", i.reviews, Double(i.ratingSum) / Double(i.reviews)) : "no reviews yet",
            String(format: "%.0f days on TrustTrade", i.accountAgeDays),
            "\(i.disputed) of \(i.completed + i.providerCancelled) jobs disputed",
        ]
        var factors: [TrustFactor] = []
        for (index, (name, weight)) in weights.enumerated() {
            let value = (values[index] * 10_000).rounded() / 10_000
            factors.append(TrustFactor(name: name, value: value, weight: weight, points: (value * weight * 1000 * 10).rounded() / 10,
                                       detail: details[index]))
        }
        let total = zip(values, weights).reduce(0) { $0 + $1.0 * $1.1.1 }
        return (Int((total * 1000).rounded()), factors)
    }
}
