import Foundation
import Logging
import PaymentService
import PostgresNIO
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

/// Job cover and provider loans on the real database: the premium comes out
/// of the release, claims and loans move money once under races, and the
/// ledger sums to zero after every step.
final class CoverAndLoanTests: XCTestCase {
    static func who(_ id: UUID, _ type: UserType) -> Identity {
        Identity(userId: id, email: "\(id.uuidString.prefix(8))@test.ph", userType: type, sessionId: "s")
    }

    static let sealer = try! Sealer(base64Key: Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())

    func testCoverIsPaidForAtReleaseAndAClaimIsPaidOnce() async throws {
        try await EscrowLedgerTests.withStore("cover") { escrow, client, logger in
            let insurance = InsuranceStore(client: client, logger: logger, escrow: escrow, sealer: Self.sealer)
            let provider = UUID()
            let booking = EscrowLedgerTests.booking(total: 150_000, provider: provider)
            let policy = try await insurance.buy(.basic, booking: booking)
            XCTAssertEqual(policy.premium, 3_000)
            XCTAssertEqual(policy.coverage, 750_000)
            XCTAssertEqual(policy.status, "active")
            XCTAssertTrue(policy.policyNumber.hasPrefix("TTI-"), policy.policyNumber)
            do {
                _ = try await insurance.buy(.plus, booking: booking)
                XCTFail("covered twice")
            } catch InsuranceStore.Failure.alreadyCovered {}

            let t = try await escrow.find(bookingId: booking.id)!
            _ = try await escrow.apply(.hold, id: t.id, requestId: nil)
            _ = try await escrow.apply(.release, id: t.id, requestId: nil)
            let balance = try await escrow.availableBalance(providerUserId: provider)
            XCTAssertEqual(balance, 132_000, "₱1,500 − 10 % fee − ₱30 premium")
            let premiums = try await escrow.sum(account: "insurance_premiums")
            XCTAssertEqual(premiums, -3_000)
            let charged = try await insurance.policy(id: policy.id, viewer: Self.who(provider, .provider))
            XCTAssertEqual(charged?.premiumCharged, 3_000)
            // The customer sees the policy too; a stranger does not.
            let seen = try await insurance.policy(id: policy.id, viewer: Self.who(booking.consumerId, .consumer))
            XCTAssertNotNil(seen)
            let stranger = try await insurance.policy(id: policy.id, viewer: Self.who(UUID(), .consumer))
            XCTAssertNil(stranger)

            var v = Validator()
            let account = BankDestination.check(method: "gcash", accountName: "Liza Santos", accountNumber: "0917 123 4567", bank: nil, &v)
            XCTAssertNoThrow(try v.validate())
            do {
                _ = try await insurance.fileClaim(policyId: policy.id, claimant: provider, amount: 10_000, description: "x", destination: account)
                XCTFail("the provider claimed")
            } catch InsuranceStore.Failure.notClaimant {}
            do {
                _ = try await insurance.fileClaim(policyId: policy.id, claimant: booking.consumerId, amount: 750_001, description: "x", destination: account)
                XCTFail("more than the cover")
            } catch InsuranceStore.Failure.claim(.overCover(let left)) {
                XCTAssertEqual(left, 750_000)
            }
            let claim = try await insurance.fileClaim(policyId: policy.id, claimant: booking.consumerId, amount: 400_000,
                                                      description: "The aircon's front panel was cracked during cleaning.", destination: account)
            XCTAssertEqual(claim.destination, "GCash ••••4567")
            do {
                _ = try await insurance.fileClaim(policyId: policy.id, claimant: booking.consumerId, amount: 1_000, description: "x", destination: account)
                XCTFail("two open claims")
            } catch InsuranceStore.Failure.claimOpen {}

            // Ten admins approve at once: it is paid once, ₱2,500 of the ₱4,000 asked.
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        do {
                            _ = try await insurance.decideClaim(id: claim.id, approve: true, amount: 250_000, admin: UUID(), note: "Panel replacement quote")
                            return true
                        } catch InsuranceStore.Failure.decided {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            XCTAssertEqual(outcomes.filter { $0 }.count, 1)
            let paid = try await insurance.claim(id: claim.id, viewer: Self.who(booking.consumerId, .consumer))
            XCTAssertEqual(paid?.status, "paid")
            XCTAssertEqual(paid?.paidAmount, 250_000)
            let claims = try await escrow.sum(account: "insurance_claims")
            XCTAssertEqual(claims, 250_000)
            let after = try await insurance.policy(id: policy.id, viewer: Self.who(provider, .provider))
            XCTAssertEqual(after?.claimedAmount, 250_000)
            var notices: [String] = []
            for try await payload in try await client.query(
                "SELECT payload::text FROM payment.outbox WHERE queue = 'notification' AND payload->'payload'->>'kind' = 'claim-paid'",
                logger: logger).decode(String.self) { notices.append(payload) }
            XCTAssertEqual(notices.count, 1, "the customer is told once")
            XCTAssertTrue(notices.first?.contains("₱2,500.00") ?? false, notices.first ?? "")
            let destination = try await insurance.claimDestination(id: claim.id)
            XCTAssertEqual(destination, "Liza Santos\n09171234567\nGCash")
            let total = try await escrow.sum()
            XCTAssertEqual(total, 0)
        }
    }

    func testCoverOfABookingCalledOffLapsesUncharged() async throws {
        try await EscrowLedgerTests.withStore("cover-void") { escrow, client, logger in
            let insurance = InsuranceStore(client: client, logger: logger, escrow: escrow, sealer: Self.sealer)
            let booking = EscrowLedgerTests.booking(total: 100_000)
            let policy = try await insurance.buy(.plus, booking: booking)
            let t = try await escrow.find(bookingId: booking.id)!
            _ = try await escrow.apply(.hold, id: t.id, requestId: nil)
            _ = try await escrow.apply(.refund(nil), id: t.id, requestId: nil)
            let void = try await insurance.policy(id: policy.id, viewer: Self.who(UUID(), .admin))
            XCTAssertEqual(void?.status, "void")
            XCTAssertEqual(void?.premiumCharged, 0)
            var v = Validator()
            let account = BankDestination.check(method: "instapay", accountName: "Ana Cruz", accountNumber: "001234567890", bank: "BPI", &v)
            do {
                _ = try await insurance.fileClaim(policyId: policy.id, claimant: booking.consumerId, amount: 10_000,
                                                  description: "A claim on a job that never happened.", destination: account)
                XCTFail("claimed on void cover")
            } catch InsuranceStore.Failure.claim(.notInForce) {}
            do {
                _ = try await insurance.buy(.basic, booking: EscrowLedgerTests.booking(total: 2_000))
                XCTFail("₱25 premium on a ₱20 job")
            } catch InsuranceStore.Failure.premiumOverShare {}

            // A claim filed while the job was held keeps the cover in force through a full refund, and can be paid.
            let second = EscrowLedgerTests.booking(total: 100_000)
            let covered = try await insurance.buy(.basic, booking: second)
            let t2 = try await escrow.find(bookingId: second.id)!
            _ = try await escrow.apply(.hold, id: t2.id, requestId: nil)
            let claim = try await insurance.fileClaim(policyId: covered.id, claimant: second.consumerId, amount: 50_000,
                                                      description: "The sink cabinet was chipped while working.", destination: account)
            _ = try await escrow.apply(.refund(nil), id: t2.id, requestId: nil)
            let kept = try await insurance.policy(id: covered.id, viewer: Self.who(UUID(), .admin))
            XCTAssertEqual(kept?.status, "active")
            let paid = try await insurance.decideClaim(id: claim.id, approve: true, amount: nil, admin: UUID(), note: nil)
            XCTAssertEqual(paid.status, "paid")
            let total = try await escrow.sum()
            XCTAssertEqual(total, 0)
        }
    }

    func testALoanIsDisbursedOnceAndRepaidFromTheBalanceAsInstallmentsFallDue() async throws {
        try await EscrowLedgerTests.withStore("loans") { escrow, client, logger in
            let loans = LoanStore(client: client, logger: logger)
            let payouts = PayoutStore(client: client, logger: logger, sealer: Self.sealer)
            let provider = UUID()
            // Six jobs of ₱5,000 released; the first of them 100 days ago.
            for _ in 0..<6 {
                let t = try await escrow.open(for: EscrowLedgerTests.booking(total: 500_000, provider: provider))
                _ = try await escrow.apply(.hold, id: t.id, requestId: nil)
                _ = try await escrow.apply(.release, id: t.id, requestId: nil)
            }
            try await client.query(
                """
                UPDATE payment.transactions SET released_at = now() - interval '100 days'
                WHERE id = (SELECT id FROM payment.transactions WHERE provider_user_id = \(provider) ORDER BY created_at LIMIT 1)
                """, logger: logger)
            let history = try await loans.history(provider: provider, trustScore: 720)
            XCTAssertEqual(history.releasedJobs, 6)
            XCTAssertEqual(history.earnings90Days, 5 * 450_000, "the old job is outside the 90 days")
            let offer = LoanPolicy.offer(history, now: Date())
            XCTAssertTrue(offer.eligible, "\(offer.reasons)")
            XCTAssertEqual(offer.limit, 1_125_000)
            XCTAssertEqual(offer.monthlyRateBps, 300)

            do {
                _ = try await loans.apply(provider: provider, amount: 1_200_000, termMonths: 3, purpose: "", trustScore: 720)
                XCTFail("over the limit")
            } catch LoanStore.Failure.overLimit(let limit) {
                XCTAssertEqual(limit, 1_125_000)
            }
            do {
                _ = try await loans.apply(provider: provider, amount: 100_000, termMonths: 3, purpose: "", trustScore: 450)
                XCTFail("trust too low")
            } catch LoanStore.Failure.notEligible(let reasons) {
                XCTAssertEqual(reasons.count, 1, "\(reasons)")
            }
            let loan = try await loans.apply(provider: provider, amount: 1_000_000, termMonths: 2, purpose: "A second aircon vacuum pump", trustScore: 720)
            XCTAssertEqual(loan.status, "pending")
            XCTAssertEqual(loan.totalInterest, 60_000, "3 % × 2 months")
            do {
                _ = try await loans.apply(provider: provider, amount: 100_000, termMonths: 1, purpose: "", trustScore: 720)
                XCTFail("two loans open")
            } catch LoanStore.Failure.notEligible(let reasons) {
                XCTAssertEqual(reasons, ["You already have a loan open"])
            }

            let balanceBefore = try await escrow.availableBalance(providerUserId: provider)
            XCTAssertEqual(balanceBefore, 2_700_000)
            // Ten admins approve at once: the money arrives once.
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        do {
                            _ = try await loans.decide(id: loan.id, approve: true, admin: UUID(), note: nil, requestId: nil)
                            return true
                        } catch LoanStore.Failure.decided {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            XCTAssertEqual(outcomes.filter { $0 }.count, 1)
            let active = try await loans.find(id: loan.id, viewer: Self.who(provider, .provider))!
            XCTAssertEqual(active.status, "active")
            XCTAssertEqual(active.installments.map(\.principal), [500_000, 500_000])
            XCTAssertEqual(active.installments.map(\.interest), [30_000, 30_000])
            XCTAssertEqual(active.outstanding, 1_060_000)
            var balance = try await escrow.availableBalance(providerUserId: provider)
            XCTAssertEqual(balance, 3_700_000, "the principal is on the balance")
            var told = 0
            for try await n in try await client.query(
                "SELECT count(*)::int FROM payment.outbox WHERE queue = 'notification' AND payload->'payload'->>'kind' = 'loan-approved'",
                logger: logger).decode(Int.self) { told = n }
            XCTAssertEqual(told, 1, "the provider is told once")
            var jobs: [Int64] = []
            for try await delay in try await client.query(
                "SELECT delay_ms FROM payment.outbox WHERE event_type = \(EventType.loanInstallmentDue) ORDER BY delay_ms", logger: logger).decode(Int64.self) {
                jobs.append(delay)
            }
            XCTAssertEqual(jobs.count, 2, "one collection per installment")
            XCTAssertGreaterThan(jobs[0], 27 * 86_400_000)

            // Nothing is due yet.
            var collected = try await loans.collect(loanId: loan.id, requestId: nil)
            XCTAssertEqual(collected, 0)
            // A month on, the first installment comes out of the balance.
            let month = Date().addingTimeInterval(32 * 86_400)
            collected = try await loans.collect(loanId: loan.id, now: month, requestId: nil)
            XCTAssertEqual(collected, 530_000)
            balance = try await escrow.availableBalance(providerUserId: provider)
            XCTAssertEqual(balance, 3_170_000)
            let interest = try await escrow.sum(account: "loan_interest")
            XCTAssertEqual(interest, -30_000)

            // The provider takes nearly everything out; the second installment
            // then finds only ₱1,700 and the rest waits for the next earnings.
            _ = try await payouts.request(provider: provider, try PayoutFields.validate(PayoutRequest(
                amount: 3_000_000, method: "instapay", accountName: "Ramon Reyes", accountNumber: "1234567890", bank: "BDO")))
            let later = Date().addingTimeInterval(63 * 86_400)
            collected = try await loans.collect(loanId: loan.id, now: later, requestId: nil)
            XCTAssertEqual(collected, 170_000)
            var partly = try await loans.find(id: loan.id, viewer: Self.who(provider, .provider), now: later)!
            XCTAssertEqual(partly.installments[1].status, "due")
            XCTAssertEqual(partly.outstanding, 360_000)
            var retries = 0
            for try await n in try await client.query(
                "SELECT count(*)::int FROM payment.outbox WHERE event_type = \(EventType.loanInstallmentDue) AND delay_ms = 86400000",
                logger: logger).decode(Int.self) { retries = n }
            XCTAssertEqual(retries, 1, "tried again tomorrow")

            // Two months pass (the schedule moves back instead of the clock).
            try await client.query("UPDATE payment.loan_installments SET due_date = due_date - interval '63 days' WHERE loan_id = \(loan.id)",
                                   logger: logger)
            // New earnings; asking for a payout takes what is due first.
            let t = try await escrow.open(for: EscrowLedgerTests.booking(total: 500_000, provider: provider))
            _ = try await escrow.apply(.hold, id: t.id, requestId: nil)
            _ = try await escrow.apply(.release, id: t.id, requestId: nil)
            do {
                _ = try await payouts.request(provider: provider, try PayoutFields.validate(PayoutRequest(
                    amount: 450_000, method: "instapay", accountName: "Ramon Reyes", accountNumber: "1234567890", bank: "BDO")))
                XCTFail("paid out money owed on the loan")
            } catch PayoutStore.Failure.insufficient(let available) {
                XCTAssertEqual(available, 90_000, "₱4,500 earned − ₱3,600 still due")
            }
            partly = try await loans.find(id: loan.id, viewer: Self.who(UUID(), .admin))!
            XCTAssertEqual(partly.status, "repaid")
            XCTAssertEqual(partly.outstanding, 0)
            let receivable = try await escrow.sum(account: "loans_receivable:\(provider.uuidString.lowercased())")
            XCTAssertEqual(receivable, 0, "the principal is back")
            let total = try await escrow.sum()
            XCTAssertEqual(total, 0)
        }
    }
}
