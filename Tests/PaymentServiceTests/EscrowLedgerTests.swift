import Foundation
import Logging
import PaymentService
import PostgresNIO
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

/// The escrow on the real database: each move once under races, the ledger
/// balanced after every step, and the database refusing what would break it.
final class EscrowLedgerTests: XCTestCase {
    static func booking(total: Int64, provider: UUID = UUID()) -> BookingDTO {
        BookingDTO(
            id: UUID(), consumerId: UUID(), providerId: UUID(), providerUserId: provider, categoryId: UUID(), title: "Aircon cleaning",
            description: "", location: nil, scheduledDate: "2026-12-01T01:00:00Z", scheduledEnd: "2026-12-01T03:00:00Z", estimatedHours: 2,
            proposedRate: total / 2, estimatedTotal: total, status: .accepted, expiresAt: nil, acceptedAt: nil, startedAt: nil, workDoneAt: nil,
            autoCompleteAt: nil, completedAt: nil, cancelledAt: nil, cancelledBy: nil, reason: nil, disputed: false,
            createdAt: "2026-11-25T00:00:00Z", updatedAt: "2026-11-25T00:00:00Z")
    }

    /// A fresh, migrated payment database and its escrow store (10 %, ₱20 minimum).
    static func withStore(_ label: String = "escrow", _ body: @Sendable (EscrowStore, PostgresClient, Logger) async throws -> Void) async throws {
        let url = try await TestEnvironment.freshDatabase(label)
        var quiet = Logger(label: "\(label)-test")
        quiet.logLevel = .warning
        let logger = quiet
        try await TestEnvironment.withDatabase(url, logger: logger) { client in
            try await Migrator(schema: "payment", migrations: try paymentMigrations()).migrate(client: client, logger: logger)
            let store = EscrowStore(client: client, logger: logger, fees: FeePolicy(basisPoints: 1000, minimumCentavos: 2000), appBaseURL: "https://app.test")
            try await body(store, client, logger)
        }
    }

    func testOneHundredConcurrentReleasesMoveTheMoneyOnce() async throws {
        try await Self.withStore { store, _, _ in
            let provider = UUID()
            let b = Self.booking(total: 150_000, provider: provider)
            let opened = try await store.open(for: b)
            let again = try await store.open(for: b)
            XCTAssertEqual(again.id, opened.id, "the same booking, the same escrow")
            XCTAssertEqual(opened.platformFee, 15_000)
            XCTAssertEqual(opened.providerAmount, 135_000)
            _ = try await store.apply(.hold, id: opened.id, method: "gcash", requestId: nil)
            let sumAfterHold = try await store.sum()
            XCTAssertEqual(sumAfterHold, 0)

            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        do {
                            _ = try await store.apply(.release, id: opened.id, requestId: nil)
                            return "released"
                        } catch EscrowStore.Failure.move(.illegal(.release, .released)) {
                            return "already"
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            XCTAssertEqual(outcomes.filter { $0 == "released" }.count, 1)
            XCTAssertEqual(outcomes.filter { $0 == "already" }.count, 99)
            let balance = try await store.availableBalance(providerUserId: provider)
            XCTAssertEqual(balance, 135_000)
            let revenue = try await store.sum(account: "platform_revenue")
            XCTAssertEqual(revenue, -15_000)
            let total = try await store.sum()
            XCTAssertEqual(total, 0, "the ledger sums to zero")
            let escrowLeft = try await store.sum(account: "escrow:\(opened.id.uuidString.lowercased())")
            XCTAssertEqual(escrowLeft, 0, "nothing left in escrow")
        }
    }

    func testPartialRefundThenReleaseChargesTheFeeOnWhatIsReleased() async throws {
        try await Self.withStore { store, _, _ in
            let provider = UUID()
            let t = try await store.open(for: Self.booking(total: 100_000, provider: provider))
            _ = try await store.apply(.hold, id: t.id, requestId: nil)
            let partly = try await store.apply(.refund(40_000), id: t.id, requestId: nil)
            XCTAssertEqual(partly.escrowStatus, "held")
            XCTAssertEqual(partly.refundedAmount, 40_000)
            do {
                _ = try await store.apply(.refund(60_001), id: t.id, requestId: nil)
                XCTFail("more than remains")
            } catch EscrowStore.Failure.move(.badRefund(let remaining)) {
                XCTAssertEqual(remaining, 60_000)
            }
            let released = try await store.apply(.release, id: t.id, requestId: nil)
            XCTAssertEqual(released.escrowStatus, "released")
            XCTAssertEqual(released.releasedAmount, 60_000)
            let balance = try await store.availableBalance(providerUserId: provider)
            XCTAssertEqual(balance, 54_000, "₱600.00 released, 10 % fee")
            let clearing = try await store.sum(account: "processor_clearing")
            XCTAssertEqual(clearing, 60_000, "₱1,000 in, ₱400 back to the consumer")
            let total = try await store.sum()
            XCTAssertEqual(total, 0)
        }
    }

    func testTheDatabaseRefusesUnbalancedOrRewrittenLedgerLines() async throws {
        try await Self.withStore { store, client, logger in
            let t = try await store.open(for: Self.booking(total: 50_000))
            _ = try await store.apply(.hold, id: t.id, requestId: nil)
            do {
                try await client.transaction(logger: logger) { connection in
                    try await connection.query(
                        """
                        INSERT INTO payment.ledger_entries (posting_id, kind, account, amount)
                        VALUES (\(UUID()), 'payout', 'payouts_clearing', 500)
                        """, logger: logger)
                }
                XCTFail("an unbalanced posting committed")
            } catch {
                XCTAssertTrue(String(reflecting: error).contains("does not balance"), String(reflecting: error))
            }
            do {
                try await client.query("UPDATE payment.ledger_entries SET amount = amount * 2", logger: logger)
                XCTFail("a ledger line changed")
            } catch {
                XCTAssertTrue(String(reflecting: error).contains("never changed"), String(reflecting: error))
            }
            let total = try await store.sum()
            XCTAssertEqual(total, 0)
            // A booking's amount outside what escrow takes.
            do {
                _ = try await store.open(for: Self.booking(total: 1_000))
                XCTFail("₱10.00 is below PayMongo's minimum")
            } catch EscrowStore.Failure.badAmount {}
        }
    }
}
