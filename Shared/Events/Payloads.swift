import Foundation
import TrustTradeDTO

/// The job data of the core service's own timers (`booking.expire-due`,
/// `booking.auto-complete-due`).
public struct BookingDue: Codable, Sendable {
    @LowercaseUUID public var bookingId: UUID
    public init(bookingId: UUID) { self.bookingId = bookingId }
}
