import AIService
import Foundation
import XCTest

final class CompletionModelTests: XCTestCase {
    func testAUCCountsOrderedPairs() {
        XCTAssertEqual(CompletionModel.auc(scores: [0.1, 0.2, 0.8, 0.9], labels: [0, 0, 1, 1]), 1)
        XCTAssertEqual(CompletionModel.auc(scores: [0.9, 0.8, 0.2, 0.1], labels: [0, 0, 1, 1]), 0)
        XCTAssertEqual(CompletionModel.auc(scores: [0.5, 0.5], labels: [0, 1]), 0.5, "ties count half")
        XCTAssertEqual(CompletionModel.auc(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1]), 0.75)
    }

    func testAModelTrainedOnTheSyntheticHistoryRanksReliableProvidersHigher() {
        let samples = SyntheticHistory.samples(providers: 600)
        let model = CompletionModel.fit(samples, version: 1, source: "synthetic")
        XCTAssertGreaterThan(model.auc, 0.65, "held-out AUC \(model.auc)")
        XCTAssertEqual(model.weights.count, CompletionModel.features.count)
        let reliable = TrustInputs(completed: 60, providerCancelled: 1, answered: 61, responseHours: 20, reviews: 55, ratingSum: 270,
                                   accountAgeDays: 700, disputed: 0)
        let shaky = TrustInputs(completed: 20, providerCancelled: 9, answered: 29, responseHours: 150, reviews: 18, ratingSum: 50,
                                accountAgeDays: 300, disputed: 6)
        XCTAssertGreaterThan(model.probability(CompletionModel.features(reliable, amount: 150_000)),
                             model.probability(CompletionModel.features(shaky, amount: 150_000)))
        // The same seed, the same history.
        XCTAssertEqual(SyntheticHistory.samples(providers: 50).map(\.y), SyntheticHistory.samples(providers: 50).map(\.y))
    }
}
