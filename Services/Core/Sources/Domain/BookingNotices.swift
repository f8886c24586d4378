import Foundation
import TrustTradeDTO

/// Who is told what when a booking moves (the notification service renders
/// and delivers; this decides recipients, kind and wording). Pure.
public enum BookingNotices {
    /// The names a message mentions.
    public struct Names: Sendable {
        public var consumerName: String
        public var providerName: String
        public init(consumerName: String, providerName: String) {
            self.consumerName = consumerName
            self.providerName = providerName
        }
    }

    public static func notices(
        for booking: BookingDTO, event: String, actor: BookingRole, names: Names, appBaseURL: String
    ) -> [NotifyUserRequest] {
        let base = appBaseURL.withoutTrailingSlash
        var variables = [
            "serviceTitle": booking.title,
            "scheduledDate": manilaTime(booking.scheduledDate),
            "consumerName": names.consumerName,
            "providerName": names.providerName,
            "bookingUrl": "\(base)/bookings/\(booking.id.uuidString.lowercased())",
            "reviewUrl": "\(base)/bookings/\(booking.id.uuidString.lowercased())/review",
            "searchUrl": "\(base)/search?category=\(booking.categoryId.uuidString.lowercased())",
        ]
        let data = ["bookingId": booking.id.uuidString.lowercased(), "status": booking.status.rawValue]
        func to(_ user: UUID, _ kind: NotificationKind) -> NotifyUserRequest {
            NotifyUserRequest(userId: user, kind: kind, variables: variables, data: data)
        }
        switch event {
        case EventType.bookingCreated:
            return [to(booking.providerUserId, .bookingCreated)]
        case EventType.bookingAccepted:
            return [to(booking.consumerId, .bookingAccepted)]
        case EventType.bookingRejected:
            return [to(booking.consumerId, .bookingRejected)]
        case EventType.bookingWorkDone:
            // The consumer confirms (or it completes by itself) and can review.
            return [to(booking.consumerId, .bookingCompleted)]
        case EventType.bookingCompleted:
            // The consumer already heard at work-done unless it ended another way.
            return actor == .consumer ? [to(booking.providerUserId, .bookingCompleted)]
                : [to(booking.providerUserId, .bookingCompleted), to(booking.consumerId, .bookingCompleted)]
        case EventType.bookingCancelled, EventType.bookingExpired:
            switch actor {
            case .consumer:
                variables["cancelledBy"] = names.consumerName
                return [to(booking.providerUserId, .bookingCancelled)]
            case .provider:
                variables["cancelledBy"] = names.providerName
                return [to(booking.consumerId, .bookingCancelled)]
            case .admin:
                variables["cancelledBy"] = "TrustTrade support"
                return [to(booking.consumerId, .bookingCancelled), to(booking.providerUserId, .bookingCancelled)]
            case .system:
                variables["cancelledBy"] = "TrustTrade, because the pro did not answer in time"
                return [to(booking.consumerId, .bookingCancelled), to(booking.providerUserId, .bookingCancelled)]
            }
        default:
            return []
        }
    }

    /// "Tue 1 Dec 2026, 9:00 AM" in Philippine time (UTC+8, no daylight saving).
    public static func manilaTime(_ iso: String) -> String {
        guard let date = ISO8601.date(from: iso) else { return iso }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "EEE d MMM yyyy, h:mm a"
        return formatter.string(from: date)
    }
}
