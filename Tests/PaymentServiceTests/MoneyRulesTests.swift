import Foundation
import PaymentService
import XCTest

final class MoneyRulesTests: XCTestCase {
    func testTheFeeIsAPercentageRoundedHalfUpWithAMinimumAndNeverMoreThanTheAmount() {
        let fees = FeePolicy(basisPoints: 1000, minimumCentavos: 2000)  // 10 %, at least ₱20.00
        XCTAssertEqual(fees.fee(on: 150_000), 15_000)
        XCTAssertEqual(fees.fee(on: 123_45), 2_000, "10 % is ₱12.35, below the ₱20.00 minimum")
        XCTAssertEqual(fees.fee(on: 1_234_565), 123_457, "123,456.5 centavos rounds half up")
        XCTAssertEqual(fees.fee(on: 1_234_564), 123_456)
        XCTAssertEqual(fees.fee(on: 1_500), 1_500, "never more than the amount")
        XCTAssertEqual(fees.providerShare(of: 150_000), 135_000)
        XCTAssertEqual(FeePolicy(basisPoints: 0, minimumCentavos: 0).fee(on: 99_999), 0)
        XCTAssertEqual(Peso.format(123_456_789), "₱1,234,567.89")
        XCTAssertEqual(Peso.format(5), "₱0.05")
        XCTAssertEqual(Peso.format(100_000), "₱1,000.00")
    }

    func testPostingsBalanceOrAreRefused() throws {
        let t = UUID(), provider = UUID()
        XCTAssertThrowsError(try Posting(kind: .hold, lines: [(.processorClearing, 100), (.escrow(t), -99)])) {
            XCTAssertEqual($0 as? Posting.Invalid, .unbalanced)
        }
        XCTAssertThrowsError(try Posting(kind: .hold, lines: [(.processorClearing, 0), (.escrow(t), 0)]))
        XCTAssertThrowsError(try Posting(kind: .hold, lines: [(.processorClearing, 0)]))
        let release = Posting.release(150_000, fee: 15_000, transaction: t, provider: provider)
        XCTAssertEqual(release.lines.reduce(0) { $0 + $1.amount }, 0)
        XCTAssertEqual(release.lines.first { $0.account == .providerPayable(provider) }?.amount, -135_000)
        XCTAssertEqual(LedgerAccount(LedgerAccount.escrow(t).description), .escrow(t))
        XCTAssertNil(LedgerAccount("escrow:nope"))
    }

    func testEscrowMovesHappenOnceAndOnlyFromTheirStates() throws {
        var s = EscrowState(status: .pending, amount: 100_000)
        XCTAssertEqual(try EscrowMachine.apply(.hold, to: s).status, .held)
        XCTAssertThrowsError(try EscrowMachine.apply(.release, to: s)) { XCTAssertEqual($0 as? EscrowError, .illegal(.release, .pending)) }
        XCTAssertEqual(try EscrowMachine.apply(.cancel, to: s).status, .cancelled)

        s.status = .held
        XCTAssertEqual(try EscrowMachine.apply(.release, to: s), EscrowEffect(status: .released, release: 100_000))
        XCTAssertEqual(try EscrowMachine.apply(.refund(30_000), to: s), EscrowEffect(status: .held, refund: 30_000))
        XCTAssertEqual(try EscrowMachine.apply(.refund(nil), to: s), EscrowEffect(status: .refunded, refund: 100_000))
        XCTAssertThrowsError(try EscrowMachine.apply(.refund(100_001), to: s)) { XCTAssertEqual($0 as? EscrowError, .badRefund(remaining: 100_000)) }
        XCTAssertThrowsError(try EscrowMachine.apply(.refund(0), to: s))
        XCTAssertThrowsError(try EscrowMachine.apply(.cancel, to: s))

        // After a partial refund only the rest can go.
        s.refunded = 30_000
        XCTAssertEqual(try EscrowMachine.apply(.release, to: s).release, 70_000)
        XCTAssertEqual(try EscrowMachine.apply(.refund(nil), to: s), EscrowEffect(status: .refunded, refund: 70_000))

        s.disputed = true
        XCTAssertThrowsError(try EscrowMachine.apply(.release, to: s)) { XCTAssertEqual($0 as? EscrowError, .disputed) }
        for done in [EscrowStatus.released, .refunded, .cancelled] {
            for move in [EscrowMove.hold, .release, .refund(nil), .cancel] {
                XCTAssertThrowsError(try EscrowMachine.apply(move, to: EscrowState(status: done, amount: 100_000)), "\(move) from \(done)")
            }
        }
    }
}
