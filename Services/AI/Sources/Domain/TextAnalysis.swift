import Foundation
import TrustTradeDTO

/// Sentiment, risk flags and language of one text, as the API answers them. Pure.
public enum TextAnalysis {
    /// Longest text analyzed (a review is at most 2,000 characters; a chat message less).
    public static let maximumCharacters = 5_000

    public static func sentiment(_ text: String) -> SentimentDTO {
        let result = SentimentModel.analyze(text)
        return SentimentDTO(label: result.label.rawValue, score: result.score, language: LanguageGuess.of(TextTokens.words(text)).rawValue,
                            evidence: result.evidence.map { WeightedText(text: $0.0, weight: ($0.1 * 100).rounded() / 100) })
    }

    public static func analyze(_ text: String) -> TextAnalysisDTO {
        let risk = RiskFlags.analyze(text)
        return TextAnalysisDTO(sentiment: sentiment(text), flags: risk.flags.map { RiskFlagDTO(kind: $0.kind.rawValue, evidence: $0.evidence) },
                               riskLevel: risk.level.rawValue, wordCount: TextTokens.words(text).count)
    }
}
