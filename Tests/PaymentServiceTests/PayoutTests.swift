import Foundation
import Logging
import NIOCore
import PaymentService
import PostgresNIO
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

final class PayoutTests: XCTestCase {
    /// A provider who earned ₱1,500.00 (₱1,350.00 theirs after the fee), and
    /// the payout store with a fresh sealing key.
    func withEarnings(_ name: String, _ body: @Sendable (EscrowStore, PayoutStore, UUID, PostgresClient, Logger) async throws -> Void) async throws {
        try await EscrowLedgerTests.withStore(name) { escrow, client, logger in
            let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            let payouts = PayoutStore(client: client, logger: logger, sealer: try Sealer(base64Key: key))
            let provider = UUID()
            let t = try await escrow.open(for: EscrowLedgerTests.booking(total: 150_000, provider: provider))
            _ = try await escrow.apply(.hold, id: t.id, requestId: nil)
            _ = try await escrow.apply(.release, id: t.id, requestId: nil)
            try await body(escrow, payouts, provider, client, logger)
        }
    }

    func testAPayoutAskedAgainWithTheSameKeyIsMadeOnce() async throws {
        try await withEarnings("payoutkeys") { escrow, payouts, provider, _, _ in
            let fields = try PayoutFields.validate(PayoutRequest(amount: 30_000, method: "gcash", accountName: "Ramon Reyes",
                                                                 accountNumber: "09171234567", bank: "GCash"))
            // Ten retries of one request racing (its kept answer was lost): one payout.
            let made = try await withThrowingTaskGroup(of: UUID.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await payouts.request(provider: provider, fields, requestKey: "payout-7f3a").id }
                }
                return try await group.reduce(into: Set<UUID>()) { $0.insert($1) }
            }
            XCTAssertEqual(made.count, 1)
            let balance = try await payouts.balance(provider: provider)
            XCTAssertEqual(balance, BalanceDTO(available: 105_000, pendingPayouts: 30_000), "₱300.00 reserved once")
            // The same key for another amount is refused; another key is another payout.
            var other = fields
            other.amount = 40_000
            do {
                _ = try await payouts.request(provider: provider, other, requestKey: "payout-7f3a")
                XCTFail("a key reused for another amount")
            } catch PayoutStore.Failure.keyReused {}
            let second = try await payouts.request(provider: provider, fields, requestKey: "payout-8b21")
            XCTAssertFalse(made.contains(second.id))
            let total = try await escrow.sum()
            XCTAssertEqual(total, 0)
        }
    }

    func testPayoutsNeverSpendMoreThanTheBalanceAndKeepTheAccountSealed() async throws {
        try await withEarnings("payouts") { escrow, payouts, provider, client, logger in

            let fields = try PayoutFields.validate(PayoutRequest(amount: 30_000, method: "instapay", accountName: "Ramon Reyes",
                                                                 accountNumber: "1234-5678-9012", bank: "BDO"))
            XCTAssertEqual(fields.destination.hint, "BDO ••••9012")
            // Ten requests of ₱300.00 at once against ₱1,350.00: four fit.
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        do {
                            _ = try await payouts.request(provider: provider, fields)
                            return true
                        } catch PayoutStore.Failure.insufficient {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            XCTAssertEqual(outcomes.filter { $0 }.count, 4)
            var balance = try await payouts.balance(provider: provider)
            XCTAssertEqual(balance, BalanceDTO(available: 15_000, pendingPayouts: 120_000))

            let (requested, _) = try await payouts.list(provider: provider, page: PageRequest())
            XCTAssertEqual(requested.count, 4)
            let admin = UUID()
            let paid = try await payouts.decide(id: requested[0].id, approve: true, admin: admin, note: nil, requestId: nil)
            XCTAssertEqual(paid.status, "paid")
            let rejected = try await payouts.decide(id: requested[1].id, approve: false, admin: admin, note: "Account name does not match", requestId: nil)
            XCTAssertEqual(rejected.status, "rejected")
            do {
                _ = try await payouts.decide(id: requested[0].id, approve: false, admin: admin, note: nil, requestId: nil)
                XCTFail("decided twice")
            } catch PayoutStore.Failure.decided(let status) {
                XCTAssertEqual(status, "paid")
            }
            balance = try await payouts.balance(provider: provider)
            XCTAssertEqual(balance, BalanceDTO(available: 45_000, pendingPayouts: 60_000), "the rejected ₱300.00 is back")
            let total = try await escrow.sum()
            XCTAssertEqual(total, 0)
            let sent = try await escrow.sum(account: "payouts_clearing")
            XCTAssertEqual(sent, -30_000)

            // The account number is sealed at rest and opens for the admin.
            let destination = try await payouts.destination(id: paid.id)
            XCTAssertEqual(destination, "Ramon Reyes\n123456789012\nBDO")
            var stored: [UInt8] = []
            for try await bytes in try await client.query("SELECT destination_sealed FROM payment.payouts WHERE id = \(paid.id)", logger: logger).decode(ByteBuffer.self) {
                stored = Array(buffer: bytes)
            }
            XCTAssertFalse(String(decoding: stored, as: UTF8.self).contains("123456789012"))
            let otherKey = try Sealer(base64Key: Data(repeating: 7, count: 32).base64EncodedString())
            XCTAssertThrowsError(try otherKey.open(stored), "another key cannot open it")

            XCTAssertThrowsError(try PayoutFields.validate(PayoutRequest(amount: 5_000, method: "cash", accountName: "", accountNumber: "12ab")))
        }
    }
}
