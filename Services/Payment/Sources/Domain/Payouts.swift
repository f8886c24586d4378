import Foundation
import TrustTradeDTO

/// A validated payout request. Pure.
public struct PayoutFields: Sendable, Equatable {
    public var amount: Int64
    public var method: String
    public var accountName: String
    public var accountNumber: String
    public var bank: String

    /// ₱100.00: below this a transfer costs more than it carries.
    public static let minimumCentavos: Int64 = 10_000

    public static func validate(_ r: PayoutRequest) throws(ValidationFailure) -> PayoutFields {
        var v = Validator()
        let amount = r.amount ?? 0
        v.check(amount >= minimumCentavos, "amount", "A payout is at least ₱100.00 (10000 centavos)")
        let method = r.method ?? "instapay"
        v.check(["instapay", "pesonet", "gcash"].contains(method), "method", "method must be instapay, pesonet or gcash")
        let name = (r.accountName ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        v.check((2...120).contains(name.count), "accountName", "The account holder's name is required")
        let number = (r.accountNumber ?? "").filter { !$0.isWhitespace && $0 != "-" }
        v.check((6...30).contains(number.count) && number.allSatisfy(\.isNumber), "accountNumber", "The account number is 6 to 30 digits")
        let bank = (r.bank ?? (method == "gcash" ? "GCash" : "")).trimmingCharacters(in: .whitespacesAndNewlines)
        v.check((2...80).contains(bank.count), "bank", "The bank (or e-wallet) is required")
        try v.validate()
        return PayoutFields(amount: amount, method: method, accountName: name, accountNumber: number, bank: bank)
    }

    /// What may be shown of the destination: bank and last four digits.
    public var hint: String { "\(bank.prefix(30)) ••••\(accountNumber.suffix(4))" }
}
