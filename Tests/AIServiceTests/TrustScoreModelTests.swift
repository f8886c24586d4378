import AIService
import Foundation
import XCTest

final class TrustScoreModelTests: XCTestCase {
    func testEachFactorIsNormalizedAsDocumented() {
        let newcomer = TrustInputs()
        XCTAssertEqual(TrustScoreModel.completion(newcomer), 0.8, accuracy: 1e-9, "the prior")
        XCTAssertEqual(TrustScoreModel.rating(newcomer), 0.625, accuracy: 1e-9, "3.5 stars")
        XCTAssertEqual(TrustScoreModel.age(newcomer), 0)
        XCTAssertEqual(TrustScoreModel.disputes(newcomer), 0.8, accuracy: 1e-9)
        XCTAssertEqual(TrustScoreModel.response(newcomer), exp(-2.0 / 6), accuracy: 1e-9)
        XCTAssertEqual(TrustScoreModel.age(TrustInputs(accountAgeDays: 730)), 1, accuracy: 1e-9)
        XCTAssertEqual(TrustScoreModel.age(TrustInputs(accountAgeDays: 5000)), 1)
        // Answering within minutes beats answering the next day.
        let quick = TrustInputs(answered: 20, responseHours: 20 * 0.2)
        let slow = TrustInputs(answered: 20, responseHours: 20 * 20)
        XCTAssertGreaterThan(TrustScoreModel.response(quick), 0.9)
        XCTAssertLessThan(TrustScoreModel.response(slow), 0.1)
        // A quarter of jobs disputed is the floor.
        XCTAssertEqual(TrustScoreModel.disputes(TrustInputs(completed: 100, disputed: 40)), 0)
    }

    func testOneFiveStarReviewDoesNotPutANewcomerAboveASeasonedPro() {
        let newcomer = TrustInputs(completed: 1, answered: 1, responseHours: 0.1, reviews: 1, ratingSum: 5, accountAgeDays: 3)
        let pro = TrustInputs(completed: 200, providerCancelled: 3, answered: 240, responseHours: 240 * 1.0, reviews: 200, ratingSum: 960,
                              accountAgeDays: 700, disputed: 2)
        let (newScore, _) = TrustScoreModel.score(newcomer)
        let (proScore, factors) = TrustScoreModel.score(pro)
        XCTAssertLessThan(newScore, proScore)
        XCTAssertGreaterThan(proScore, 850, "a seasoned pro clears the seed's ≥ 800 filter")
        XCTAssertEqual(factors.map(\.name), ["completionRate", "responseTime", "rating", "accountAge", "disputeRate"])
        XCTAssertEqual(factors.map(\.weight).reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertEqual(factors.map(\.points).reduce(0, +), Double(proScore), accuracy: 1, "the factors add up to the score")
        XCTAssertTrue(factors[2].detail.contains("200 reviews"), factors[2].detail)
    }

    func testBadBehaviourLowersTheScore() {
        let base = TrustInputs(completed: 30, answered: 35, responseHours: 35, reviews: 25, ratingSum: 110, accountAgeDays: 200)
        var cancelling = base
        cancelling.providerCancelled = 10
        var disputed = base
        disputed.disputed = 6
        var badlyRated = base
        badlyRated.ratingSum = 50
        let score = TrustScoreModel.score(base).score
        XCTAssertLessThan(TrustScoreModel.score(cancelling).score, score)
        XCTAssertLessThan(TrustScoreModel.score(disputed).score, score)
        XCTAssertLessThan(TrustScoreModel.score(badlyRated).score, score)
        XCTAssertTrue((0...1000).contains(TrustScoreModel.score(TrustInputs(completed: 0, providerCancelled: 50, answered: 50, responseHours: 2_000,
                                                                           reviews: 50, ratingSum: 50, disputed: 50)).score))
    }
}
