import Foundation

/// The platform's fee: a percentage in basis points (1000 = 10 %) with a
/// minimum, on integer centavos. Rounding: half a centavo rounds up (the
/// fee is the platform's, so the provider never gets a fractional share);
/// the fee never exceeds the amount. Pure.
public struct FeePolicy: Sendable, Equatable {
    public var basisPoints: Int64
    public var minimumCentavos: Int64

    public init(basisPoints: Int64, minimumCentavos: Int64) {
        precondition((0...10_000).contains(basisPoints) && minimumCentavos >= 0)
        self.basisPoints = basisPoints
        self.minimumCentavos = minimumCentavos
    }

    public func fee(on amount: Int64) -> Int64 {
        guard amount > 0 else { return 0 }
        let (product, overflow) = amount.multipliedReportingOverflow(by: basisPoints)
        precondition(!overflow, "amounts are validated far below overflow")
        let percentage = (product + 5_000) / 10_000
        return min(amount, max(minimumCentavos, percentage))
    }

    /// What the provider receives of `amount`.
    public func providerShare(of amount: Int64) -> Int64 { amount - fee(on: amount) }
}

/// Amounts the API takes: a booking's escrow is at least ₱20.00 (PayMongo's
/// minimum for a payment intent) and at most ₱1,000,000.00.
public enum PaymentLimits {
    public static let minimumCentavos: Int64 = 2_000
    public static let maximumCentavos: Int64 = 100_000_000
}

/// "₱1,250.00" from centavos (no floating point). Pure.
public enum Peso {
    public static func format(_ centavos: Int64) -> String {
        let sign = centavos < 0 ? "-" : ""
        let value = centavos.magnitude
        var whole = String(value / 100)
        var groups: [String] = []
        while whole.count > 3 {
            groups.insert(String(whole.suffix(3)), at: 0)
            whole = String(whole.dropLast(3))
        }
        groups.insert(whole, at: 0)
        let cents = value % 100
        return "\(sign)₱\(groups.joined(separator: ",")).\(cents < 10 ? "0" : "")\(cents)"
    }
}

/// "26 Dec 2026": a due date as a person in Manila reads it. Pure.
public enum ManilaDate {
    public static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Manila")!
        let c = calendar.dateComponents([.day, .month, .year], from: date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(c.day!) \(months[c.month! - 1]) \(c.year!)"
    }
}
