import Foundation
import TrustTradeDTO

/// Who hears of an escrow move (`deducted`: the fee and any cover premium
/// taken from a release). Pure.
public enum EscrowNotices {
    public static func notices(
        for t: TransactionDTO, event: String, moved: Int64, deducted: Int64, appBaseURL: String
    ) -> [NotifyUserRequest] {
        let base = appBaseURL.withoutTrailingSlash
        let data = ["transactionId": t.id.uuidString.lowercased(), "bookingId": t.bookingId.uuidString.lowercased()]
        switch event {
        case EventType.escrowHeld:
            return [NotifyUserRequest(userId: t.consumerId, kind: .paymentReceived, variables: [
                "amount": Peso.format(t.amount), "serviceTitle": t.serviceTitle,
                "paymentUrl": "\(base)/transactions/\(t.id.uuidString.lowercased())",
            ], data: data)]
        case EventType.escrowReleased:
            return [NotifyUserRequest(userId: t.providerUserId, kind: .escrowReleased, variables: [
                "amount": Peso.format(moved - deducted), "serviceTitle": t.serviceTitle, "balanceUrl": "\(base)/balance",
            ], data: data)]
        default:
            return []
        }
    }
}
