import Foundation

/// How well one provider fits one request, with the seed's weights: skill
/// match 40 %, proximity 30 %, trust 20 %, price fit 10 %. Pure.
public enum MatchScoring {
    public static let skillWeight = 0.40, proximityWeight = 0.30, trustWeight = 0.20, priceWeight = 0.10
    /// Providers farther than this from the request are left out.
    public static let maximumDistanceKm = 50.0

    public struct Breakdown: Sendable, Equatable, Codable {
        public var skill: Double
        public var proximity: Double
        public var trust: Double
        public var price: Double
        public var total: Double
    }

    /// Proximity: e^(−km / 10): next door 1, 10 km 0.37, 30 km 0.05; 0.5
    /// when the request has no place.
    public static func proximity(km: Double?) -> Double {
        guard let km else { return 0.5 }
        return exp(-max(0, km) / 10)
    }

    /// Price fit: 1 within the hourly budget, falling the further over it
    /// (20 % over ≈ 0.55); 0.5 without a budget.
    public static func price(rate: Int64, budget: Int64?) -> Double {
        guard let budget, budget > 0 else { return 0.5 }
        guard rate > budget else { return 1 }
        return exp(-3 * Double(rate - budget) / Double(budget))
    }

    public static func breakdown(skill: Double, km: Double?, trustScore: Int, rate: Int64, budget: Int64?) -> Breakdown {
        let p = proximity(km: km), t = Double(min(1000, max(0, trustScore))) / 1000, f = price(rate: rate, budget: budget)
        let s = min(1, max(0, skill))
        let total = skillWeight * s + proximityWeight * p + trustWeight * t + priceWeight * f
        func r(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }
        return Breakdown(skill: r(s), proximity: r(p), trust: r(t), price: r(f), total: r(total))
    }

    /// Great-circle distance in km.
    public static func distanceKm(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let rad = Double.pi / 180
        let dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad
        let a = sin(dLat / 2) * sin(dLat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dLon / 2) * sin(dLon / 2)
        return 6_371 * 2 * atan2(a.squareRoot(), (1 - a).squareRoot())
    }
}

/// BM25 over the providers' words (k1 1.2, b 0.75). The skill match is the
/// score as a share of the best a document could get for the request (every
/// term, many times, in a short text), so it reads 0–1 on its own. Pure.
public struct BM25: Sendable {
    public static let k1 = 1.2, b = 0.75

    public static func idf(documents n: Int, containing df: Int) -> Double {
        log(1 + (Double(n) - Double(df) + 0.5) / (Double(df) + 0.5))
    }

    public static func termScore(tf: Int, length: Int, averageLength: Double, idf: Double) -> Double {
        let f = Double(tf)
        return idf * f * (k1 + 1) / (f + k1 * (1 - b + b * Double(length) / max(1, averageLength)))
    }

    /// The ceiling: each distinct term at its idf × (k1 + 1).
    public static func ideal(idfs: [Double]) -> Double {
        idfs.reduce(0) { $0 + $1 * (k1 + 1) }
    }
}
