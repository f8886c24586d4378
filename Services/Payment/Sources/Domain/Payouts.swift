import Foundation
import TrustTradeDTO

/// Where money is sent (a payout, a paid claim): kept sealed at rest, shown
/// only as bank and last digits. Pure.
public struct BankDestination: Sendable, Equatable {
    public var method: String
    public var accountName: String
    public var accountNumber: String
    public var bank: String

    /// Checks the fields into `v`; the cleaned destination (meaningful when `v` passes).
    public static func check(method: String?, accountName: String?, accountNumber: String?, bank: String?, _ v: inout Validator) -> BankDestination {
        let method = method ?? "instapay"
        v.check(["instapay", "pesonet", "gcash"].contains(method), "method", "method must be instapay, pesonet or gcash")
        let name = (accountName ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        v.check((2...120).contains(name.count) && !name.contains("\n"), "accountName", "The account holder's name is required")
        let number = (accountNumber ?? "").filter { !$0.isWhitespace && $0 != "-" }
        v.check((6...30).contains(number.count) && number.allSatisfy(\.isASCII) && number.allSatisfy(\.isNumber), "accountNumber",
                "The account number is 6 to 30 digits")
        let bank = (bank ?? (method == "gcash" ? "GCash" : "")).trimmingCharacters(in: .whitespacesAndNewlines)
        v.check((2...80).contains(bank.count) && !bank.contains("\n"), "bank", "The bank (or e-wallet) is required")
        return BankDestination(method: method, accountName: name, accountNumber: number, bank: bank)
    }

    /// What may be shown of the destination: bank and last four digits.
    public var hint: String { "\(bank.prefix(30)) ••••\(accountNumber.suffix(4))" }

    /// The text that is sealed, and back.
    public var sealedText: String { "\(accountName)\n\(accountNumber)\n\(bank)" }

    public static func unsealed(_ text: String) -> [String: String] {
        let parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return ["accountName": parts.first ?? "", "accountNumber": parts.count > 1 ? parts[1] : "", "bank": parts.count > 2 ? parts[2] : ""]
    }
}

/// A validated payout request. Pure.
public struct PayoutFields: Sendable, Equatable {
    public var amount: Int64
    public var destination: BankDestination

    /// ₱100.00: below this a transfer costs more than it carries.
    public static let minimumCentavos: Int64 = 10_000

    public static func validate(_ r: PayoutRequest) throws(ValidationFailure) -> PayoutFields {
        var v = Validator()
        let amount = r.amount ?? 0
        v.check(amount >= minimumCentavos, "amount", "A payout is at least ₱100.00 (10000 centavos)")
        let destination = BankDestination.check(method: r.method, accountName: r.accountName, accountNumber: r.accountNumber, bank: r.bank, &v)
        try v.validate()
        return PayoutFields(amount: amount, destination: destination)
    }
}
