import AuthService
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PaymentService
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

/// A booking escrow cannot take (core allows a rate of 0; escrow takes
/// ₱20.00 to ₱1,000,000.00) is never opened by its event; paying it or
/// asking for its escrow is a 400 naming the booking, not a 500.
final class UnpayableBookingTests: XCTestCase {
    func testABookingWhoseAmountEscrowCannotTakeIsA400() async throws {
        var quiet = Logger(label: "unpayable")
        quiet.logLevel = .warning
        let logger = quiet
        let redisURL = TestEnvironment.redisURL(db: 29)
        let authDB = try await TestEnvironment.freshDatabase("unpayableauth")
        let paymentDB = try await TestEnvironment.freshDatabase("unpayable")
        let auth = try await AuthService.buildApplication(config: try AuthConfig(settings: Settings([
            "DATABASE_URL": authDB, "REDIS_URL": redisURL, "AUTH_BCRYPT_COST": "4", "PORT": "0",
        ])), logger: logger)
        try await auth.test(.live) { authClient in
            let consumer = try await PaymentFlowTests.signUp(authClient, "Liza Soberano")
            let booking = BookingDTO(
                id: UUID(), consumerId: consumer.id, providerId: UUID(), providerUserId: UUID(), categoryId: UUID(), title: "Free estimate",
                description: "", location: nil, scheduledDate: "2026-12-01T02:00:00Z", scheduledEnd: "2026-12-01T04:00:00Z", estimatedHours: 2,
                proposedRate: 0, estimatedTotal: 0, status: .accepted, expiresAt: nil, acceptedAt: nil, startedAt: nil, workDoneAt: nil,
                autoCompleteAt: nil, completedAt: nil, cancelledAt: nil, cancelledBy: nil, reason: nil, disputed: false,
                createdAt: "2026-11-25T00:00:00Z", updatedAt: "2026-11-25T00:00:00Z")
            // Core's internal API, as far as payment reads it.
            let router = Router()
            router.get("/internal/bookings/:id") { _, _ in Envelope(booking) }
            let core = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await core.test(.live) { coreClient in
                let payment = try await PaymentService.buildApplication(config: try PaymentConfig(settings: Settings([
                    "DATABASE_URL": paymentDB, "REDIS_URL": redisURL, "PORT": "0",
                    "AUTH_JWKS_URL": "http://127.0.0.1:\(authClient.port!)/v1/auth/.well-known/jwks.json",
                    "CORE_BASE_URL": "http://127.0.0.1:\(coreClient.port!)",
                ])), logger: logger)
                try await payment.test(.live) { client in
                    for uri in ["/v1/payments/create", "/v1/transactions/escrow", "/v1/escrow/create"] {
                        let r = try await client.execute(uri: uri, method: .post, headers: consumer.headers,
                                                         body: try PaymentFlowTests.json(["bookingId": booking.id.uuidString])) { $0 }
                        XCTAssertEqual(r.status, .badRequest, uri)
                        let error = PaymentFlowTests.body(r)["error"] as? [String: Any]
                        XCTAssertEqual(error?["code"] as? String, "VALIDATION_ERROR", uri)
                        XCTAssertEqual((error?["details"] as? [[String: Any]])?.first?["field"] as? String, "bookingId", uri)
                    }
                }
            }
        }
    }
}
