import Foundation
import Logging
import PaymentService
import PostgresNIO
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

final class DisputeTests: XCTestCase {
    func testAnOpenDisputeFreezesReleaseAndTheResolutionMovesTheMoneyOnce() async throws {
        try await EscrowLedgerTests.withStore("disputes") { escrow, client, logger in
            let disputes = DisputeStore(client: client, logger: logger, escrow: escrow)
            let provider = UUID()
            let booking = EscrowLedgerTests.booking(total: 100_000, provider: provider)
            let t = try await escrow.open(for: booking)
            do {
                _ = try await disputes.open(by: booking.consumerId, transactionId: t.id, reason: "The pro never came.", requestId: nil)
                XCTFail("nothing paid, nothing to dispute")
            } catch DisputeStore.Failure.notHeld(let status) {
                XCTAssertEqual(status, "pending")
            }
            _ = try await escrow.apply(.hold, id: t.id, requestId: nil)
            do {
                _ = try await disputes.open(by: provider, transactionId: t.id, reason: "Not mine to open.", requestId: nil)
                XCTFail("only the consumer opens a dispute")
            } catch DisputeStore.Failure.notFound {}

            let dispute = try await disputes.open(by: booking.consumerId, transactionId: t.id, reason: "Only one of two units was cleaned.", requestId: nil)
            XCTAssertEqual(dispute.status, "open")
            do {
                _ = try await disputes.open(by: booking.consumerId, transactionId: t.id, reason: "Again, the same thing.", requestId: nil)
                XCTFail("one open dispute per escrow")
            } catch DisputeStore.Failure.alreadyOpen {}
            // Release waits (the booking's completion event meets this too).
            do {
                _ = try await escrow.apply(.release, id: t.id, requestId: nil)
                XCTFail("released while disputed")
            } catch EscrowStore.Failure.move(.disputed) {}

            let resolved = try await disputes.resolve(id: dispute.id, by: UUID(), outcome: .partial, refundAmount: 30_000,
                                                      note: "Half the job: ₱300 back.", requestId: nil)
            XCTAssertEqual(resolved.status, "resolved")
            XCTAssertEqual(resolved.outcome, "partial")
            let after = try await escrow.find(id: t.id)
            XCTAssertEqual(after?.escrowStatus, "released")
            XCTAssertEqual(after?.refundedAmount, 30_000)
            XCTAssertEqual(after?.releasedAmount, 70_000)
            XCTAssertEqual(after?.disputed, false)
            let balance = try await escrow.availableBalance(providerUserId: provider)
            XCTAssertEqual(balance, 63_000, "₱700 released minus the 10 % fee")
            do {
                _ = try await disputes.resolve(id: dispute.id, by: UUID(), outcome: .refund, refundAmount: nil, note: nil, requestId: nil)
                XCTFail("resolved twice")
            } catch DisputeStore.Failure.resolved {}
            let total = try await escrow.sum()
            XCTAssertEqual(total, 0)

            // Core hears of both ends (its automatic completion waits meanwhile).
            var events: [String] = []
            for try await e in try await client.query(
                "SELECT event_type FROM payment.outbox WHERE queue = 'core' AND event_type LIKE 'dispute.%' ORDER BY created_at", logger: logger).decode(String.self) {
                events.append(e)
            }
            XCTAssertEqual(events, [EventType.disputeOpened, EventType.disputeClosed])
        }
    }

    /// A partial outcome that refunds all that remains releases nothing (it
    /// was a 500: release after the escrow was refunded); a dispute over
    /// escrow an admin refunded by hand meanwhile cannot move it again (409).
    func testAResolutionOnEscrowThatHasNothingLeftToReleaseIsNotAServerError() async throws {
        try await EscrowLedgerTests.withStore("disputes_left") { escrow, client, logger in
            let disputes = DisputeStore(client: client, logger: logger, escrow: escrow)
            let booking = EscrowLedgerTests.booking(total: 100_000, provider: UUID())
            let t = try await escrow.open(for: booking)
            _ = try await escrow.apply(.hold, id: t.id, requestId: nil)
            let dispute = try await disputes.open(by: booking.consumerId, transactionId: t.id, reason: "Nothing was done at all.", requestId: nil)
            let resolved = try await disputes.resolve(id: dispute.id, by: UUID(), outcome: .partial, refundAmount: 100_000, note: nil, requestId: nil)
            XCTAssertEqual(resolved.status, "resolved")
            let after = try await escrow.find(id: t.id)
            XCTAssertEqual(after?.escrowStatus, "refunded")
            XCTAssertEqual(after?.refundedAmount, 100_000)
            XCTAssertEqual(after?.releasedAmount, 0)

            let second = EscrowLedgerTests.booking(total: 100_000, provider: UUID())
            let u = try await escrow.open(for: second)
            _ = try await escrow.apply(.hold, id: u.id, requestId: nil)
            let open = try await disputes.open(by: second.consumerId, transactionId: u.id, reason: "The pro left half-way.", requestId: nil)
            _ = try await escrow.apply(.refund(nil), id: u.id, requestId: nil)
            do {
                _ = try await disputes.resolve(id: open.id, by: UUID(), outcome: .release, refundAmount: nil, note: nil, requestId: nil)
                XCTFail("released refunded escrow")
            } catch DisputeStore.Failure.notHeld(let status) {
                XCTAssertEqual(status, "refunded")
            }
            let total = try await escrow.sum()
            XCTAssertEqual(total, 0)
        }
    }
}
