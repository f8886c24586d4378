import Foundation
import PaymentService
import XCTest

/// The pure rules of job cover and provider loans.
final class CoverAndLoanRulesTests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    func testCoverPremiumsAndCoverFollowTheBookingAmountWithinEachPlansBounds() {
        let end = now.addingTimeInterval(3 * 3_600)
        let basic = InsuranceQuote.quote(.basic, bookingAmount: 150_000, jobEnds: end, now: now)
        XCTAssertEqual(basic.premium, 3_000, "2 % of ₱1,500.00")
        XCTAssertEqual(basic.coverage, 750_000, "5 × the amount")
        XCTAssertEqual(basic.validUntil, end.addingTimeInterval(30 * 86_400), "claims for 30 days after the job")
        XCTAssertEqual(InsuranceQuote.quote(.basic, bookingAmount: 50_000, jobEnds: end, now: now).premium, 2_500, "the ₱25.00 minimum")
        XCTAssertEqual(InsuranceQuote.quote(.basic, bookingAmount: 50_000, jobEnds: end, now: now).coverage, 500_000, "the ₱5,000 floor")
        XCTAssertEqual(InsuranceQuote.quote(.basic, bookingAmount: 2_000_000, jobEnds: end, now: now).coverage, 5_000_000, "the ₱50,000 ceiling")
        XCTAssertEqual(InsuranceQuote.quote(.plus, bookingAmount: 123_457, jobEnds: end, now: now).premium, 4_321, "3.5 % = 4,320.995, half up")
        XCTAssertEqual(InsuranceQuote.quote(.plus, bookingAmount: 150_000, jobEnds: end, now: now).coverage, 1_500_000)
        // A job in the past still gets its window from now.
        XCTAssertEqual(InsuranceQuote.quote(.basic, bookingAmount: 150_000, jobEnds: now.addingTimeInterval(-86_400), now: now).validUntil,
                       now.addingTimeInterval(30 * 86_400))
    }

    func testClaimsAreTakenWhileThePolicyIsInForceAndUpToTheCoverLeft() {
        let until = now.addingTimeInterval(86_400)
        XCTAssertNoThrow(try InsuranceClaimRule.check(amount: 500_000, coverage: 750_000, alreadyPaid: 250_000, policyActive: true, validUntil: until, now: now))
        XCTAssertThrowsError(try InsuranceClaimRule.check(amount: 500_001, coverage: 750_000, alreadyPaid: 250_000, policyActive: true, validUntil: until, now: now)) {
            XCTAssertEqual($0 as? InsuranceClaimRule.Refusal, .overCover(left: 500_000))
        }
        XCTAssertThrowsError(try InsuranceClaimRule.check(amount: 1, coverage: 750_000, alreadyPaid: 0, policyActive: false, validUntil: until, now: now)) {
            XCTAssertEqual($0 as? InsuranceClaimRule.Refusal, .notInForce)
        }
        XCTAssertThrowsError(try InsuranceClaimRule.check(amount: 1, coverage: 750_000, alreadyPaid: 0, policyActive: true, validUntil: until,
                                                          now: until.addingTimeInterval(1))) {
            XCTAssertEqual($0 as? InsuranceClaimRule.Refusal, .notInForce)
        }
    }

    func testLoanEligibilityNamesEveryReasonAndTheLimitIsHalfOfRecentEarnings() {
        let seasoned = LoanHistory(trustScore: 780, releasedJobs: 12, firstReleaseAt: now.addingTimeInterval(-120 * 86_400),
                                   earnings90Days: 4_567_890, disputesLost180Days: 1, hasOpenLoan: false)
        let offer = LoanPolicy.offer(seasoned, now: now)
        XCTAssertTrue(offer.eligible, "\(offer.reasons)")
        XCTAssertEqual(offer.limit, 2_283_900, "half of ₱45,678.90, whole pesos down")
        XCTAssertEqual(offer.monthlyRateBps, 200, "trust 750–849: 2 % a month")
        XCTAssertEqual(LoanPolicy.offer(LoanHistory(trustScore: 900, releasedJobs: 80, firstReleaseAt: now.addingTimeInterval(-400 * 86_400),
                                                    earnings90Days: 50_000_000, disputesLost180Days: 0, hasOpenLoan: false), now: now).limit,
                       5_000_000, "at most ₱50,000")

        let newcomer = LoanHistory(trustScore: 550, releasedJobs: 2, firstReleaseAt: now.addingTimeInterval(-10 * 86_400),
                                   earnings90Days: 150_000, disputesLost180Days: 2, hasOpenLoan: true)
        let refused = LoanPolicy.offer(newcomer, now: now)
        XCTAssertFalse(refused.eligible)
        XCTAssertEqual(refused.reasons.count, 6, "\(refused.reasons)")
        XCTAssertEqual(refused.monthlyRateBps, 300)
    }

    func testAScheduleRepaysPrincipalAndFlatInterestToTheCentavo() {
        let schedule = LoanPolicy.schedule(principal: 1_000_000, monthlyRateBps: 150, termMonths: 3, start: now)
        XCTAssertEqual(schedule.map(\.principal), [333_333, 333_333, 333_334])
        XCTAssertEqual(schedule.map(\.interest), [15_000, 15_000, 15_000], "1.5 % × 3 months of ₱10,000")
        XCTAssertEqual(schedule.reduce(0) { $0 + $1.total }, 1_045_000)
        XCTAssertTrue(zip(schedule, schedule.dropFirst()).allSatisfy { $0.dueDate < $1.dueDate })
        XCTAssertEqual(schedule[0].dueDate.timeIntervalSince(now) / 86_400, 30, accuracy: 1.5, "monthly")
        // Interest is taken before principal.
        XCTAssertEqual(LoanPolicy.split(20_000, interestDue: 15_000, principalDue: 333_333).interest, 15_000)
        XCTAssertEqual(LoanPolicy.split(20_000, interestDue: 15_000, principalDue: 333_333).principal, 5_000)
        XCTAssertEqual(LoanPolicy.split(10_000, interestDue: 15_000, principalDue: 333_333).principal, 0)
    }

    func testAReleaseCarriesTheFeeAndThePremiumAndStillBalances() {
        let t = UUID(), provider = UUID()
        let release = Posting.release(150_000, fee: 15_000, premium: 3_000, transaction: t, provider: provider)
        XCTAssertEqual(release.lines.reduce(0) { $0 + $1.amount }, 0)
        XCTAssertEqual(release.lines.first { $0.account == .providerPayable(provider) }?.amount, -132_000)
        XCTAssertEqual(release.lines.first { $0.account == .insurancePremiums }?.amount, -3_000)
        // All of a tiny release going to the fee leaves no empty line.
        XCTAssertEqual(Posting.release(2_000, fee: 2_000, transaction: t, provider: provider).lines.count, 2)
        XCTAssertEqual(LedgerAccount(LedgerAccount.loansReceivable(provider).description), .loansReceivable(provider))
        XCTAssertEqual(Posting.repayLoan(interest: 15_000, principal: 5_000, provider: provider).lines.reduce(0) { $0 + $1.amount }, 0)
    }
}
