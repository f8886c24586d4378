import Foundation

/// The chance a booking with a provider completes without a dispute: a
/// logistic regression over what the trust score reads (its five factors,
/// experience) and the booking's size. Trained by `ai-service train` on the
/// platform's finished bookings; weights versioned in `ai.models`. Pure.
public struct CompletionModel: Sendable, Equatable, Codable {
    public static let features = ["bias", "completion", "response", "rating", "age", "disputes", "experience", "size"]

    public var version: Int
    public var weights: [Double]
    public var auc: Double
    public var samples: Int
    /// "synthetic" (the shipped first model) or "platform".
    public var source: String

    public init(version: Int, weights: [Double], auc: Double, samples: Int, source: String) {
        self.version = version
        self.weights = weights
        self.auc = auc
        self.samples = samples
        self.source = source
    }

    /// The features of a booking of `amount` centavos with a provider whose
    /// record (not counting this booking) is `inputs`.
    public static func features(_ i: TrustInputs, amount: Int64) -> [Double] {
        let jobs = Double(i.completed + i.providerCancelled)
        let pesos = max(1, Double(amount) / 100)
        return [1, TrustScoreModel.completion(i), TrustScoreModel.response(i), TrustScoreModel.rating(i), TrustScoreModel.age(i),
                TrustScoreModel.disputes(i), min(1, log1p(jobs) / log(201)), min(1, log(pesos) / log(100_000))]
    }

    public func probability(_ x: [Double]) -> Double {
        Self.sigmoid(zip(weights, x).reduce(0) { $0 + $1.0 * $1.1 })
    }

    static func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    /// Batch gradient descent on the log loss with an L2 penalty (not on the bias).
    public static func train(_ samples: [(x: [Double], y: Int)], epochs: Int = 600, rate: Double = 0.8, l2: Double = 1e-3) -> [Double] {
        guard let width = samples.first?.x.count else { return [] }
        var w = [Double](repeating: 0, count: width)
        let n = Double(samples.count)
        for _ in 0..<epochs {
            var gradient = [Double](repeating: 0, count: width)
            for s in samples {
                let error = sigmoid(zip(w, s.x).reduce(0) { $0 + $1.0 * $1.1 }) - Double(s.y)
                for j in 0..<width { gradient[j] += error * s.x[j] }
            }
            for j in 0..<width { w[j] -= rate * (gradient[j] / n + (j == 0 ? 0 : l2 * w[j])) }
        }
        return w
    }

    /// The area under the ROC curve: the chance a random good booking is
    /// scored above a random bad one (ties count half).
    public static func auc(scores: [Double], labels: [Int]) -> Double {
        let ranked = zip(scores, labels).sorted { $0.0 < $1.0 }
        var rankSumPositive = 0.0
        var i = 0
        while i < ranked.count {
            var j = i
            while j + 1 < ranked.count && ranked[j + 1].0 == ranked[i].0 { j += 1 }
            let averageRank = Double(i + j + 2) / 2
            for k in i...j where ranked[k].1 == 1 { rankSumPositive += averageRank }
            i = j + 1
        }
        let positives = Double(labels.filter { $0 == 1 }.count), negatives = Double(labels.count) - positives
        guard positives > 0, negatives > 0 else { return 0.5 }
        return (rankSumPositive - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Trains on 80 % (every fifth sample held out) and reports the AUC on the rest.
    public static func fit(_ samples: [(x: [Double], y: Int)], version: Int, source: String) -> CompletionModel {
        let train = samples.enumerated().filter { $0.offset % 5 != 0 }.map(\.element)
        let held = samples.enumerated().filter { $0.offset % 5 == 0 }.map(\.element)
        let w = Self.train(train)
        let model = CompletionModel(version: version, weights: w, auc: 0, samples: samples.count, source: source)
        let auc = Self.auc(scores: held.map { model.probability($0.x) }, labels: held.map(\.y))
        return CompletionModel(version: version, weights: w, auc: (auc * 1000).rounded() / 1000, samples: samples.count, source: source)
    }
}

/// A documented synthetic history for the first model, before the platform
/// has its own: each provider has a hidden reliability q (uniform 0.55–0.99);
/// a job completes cleanly with chance q, else the provider calls it off
/// (60 %) or the customer disputes it (40 %); reviews are q × 5 stars ± 1;
/// answers take e^(3·(1 − q)) − 1 hours ± noise; accounts are 0–3 years old;
/// job sizes ₱500–₱20,000. Each job's features are the provider's record
/// without that job. Pure (seeded).
public enum SyntheticHistory {
    public static func samples(providers: Int, seed: UInt64 = 7) -> [(x: [Double], y: Int)] {
        var rng = SplitMix(seed)
        var out: [(x: [Double], y: Int)] = []
        for _ in 0..<providers {
            let q = 0.55 + 0.44 * rng.unit()
            let jobs = 1 + Int(rng.unit() * rng.unit() * 60)
            let age = rng.unit() * 1_100
            var outcomes: [(ok: Bool, cancelled: Bool, disputed: Bool, stars: Int, hours: Double, amount: Int64)] = []
            for _ in 0..<jobs {
                let ok = rng.unit() < q
                let cancelled = !ok && rng.unit() < 0.6
                let stars = max(1, min(5, Int((q * 5 + (rng.unit() * 2 - 1)).rounded())))
                let hours = max(0.05, exp(3 * (1 - q)) - 1 + (rng.unit() - 0.5))
                outcomes.append((ok, cancelled, !ok && !cancelled, stars, hours, Int64(50_000 + rng.unit() * 1_950_000)))
            }
            for (k, job) in outcomes.enumerated() {
                var i = TrustInputs(accountAgeDays: age)
                for (m, other) in outcomes.enumerated() where m != k {
                    if other.ok || other.disputed { i.completed += 1 }
                    if other.cancelled { i.providerCancelled += 1 }
                    if other.disputed { i.disputed += 1 }
                    i.answered += 1
                    i.responseHours += other.hours
                    if !other.cancelled {
                        i.reviews += 1
                        i.ratingSum += other.stars
                    }
                }
                out.append((CompletionModel.features(i, amount: job.amount), job.ok ? 1 : 0))
            }
        }
        return out
    }

    struct SplitMix {
        var state: UInt64
        init(_ seed: UInt64) { state = seed }
        mutating func unit() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }
}
