import Foundation

/// Scores the analyzers against a labelled set (`Eval/nlp-eval.tsv`:
/// register, sentiment, off-platform 0/1, text). Pure.
public struct NLPEvaluation: Sendable {
    public struct Counts: Sendable {
        public var truePositive = 0, falsePositive = 0, falseNegative = 0
        public var precision: Double { truePositive + falsePositive == 0 ? 1 : Double(truePositive) / Double(truePositive + falsePositive) }
        public var recall: Double { truePositive + falseNegative == 0 ? 1 : Double(truePositive) / Double(truePositive + falseNegative) }
    }

    public var total = 0
    public var correct = 0
    public var perClass: [SentimentModel.Label: Counts] = [:]
    public var perRegister: [String: (correct: Int, total: Int)] = [:]
    public var offPlatform = Counts()
    public var mistakes: [String] = []

    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    public static func run(tsv: String) -> NLPEvaluation {
        var e = NLPEvaluation()
        for line in tsv.split(separator: "\n") where !line.hasPrefix("#") {
            let cols = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard cols.count == 4, let want = SentimentModel.Label(rawValue: cols[1]) else { continue }
            let text = cols[3]
            let got = SentimentModel.analyze(text).label
            e.total += 1
            var r = e.perRegister[cols[0]] ?? (0, 0)
            r.total += 1
            if got == want {
                e.correct += 1
                r.correct += 1
                e.perClass[want, default: Counts()].truePositive += 1
            } else {
                e.perClass[got, default: Counts()].falsePositive += 1
                e.perClass[want, default: Counts()].falseNegative += 1
                e.mistakes.append("sentiment \(want.rawValue) → \(got.rawValue): \(text)")
            }
            e.perRegister[cols[0]] = r
            let flagged = RiskFlags.analyze(text).flags.contains { $0.kind == .offPlatformPayment }
            switch (cols[2] == "1", flagged) {
            case (true, true): e.offPlatform.truePositive += 1
            case (false, true):
                e.offPlatform.falsePositive += 1
                e.mistakes.append("off-platform flagged wrongly: \(text)")
            case (true, false):
                e.offPlatform.falseNegative += 1
                e.mistakes.append("off-platform missed: \(text)")
            case (false, false): break
            }
        }
        return e
    }

    /// The figures as a table.
    public var report: String {
        var lines = [String(format: "sentences: %d   sentiment accuracy: %.1f %%", total, accuracy * 100)]
        for register in perRegister.keys.sorted() {
            let r = perRegister[register]!
            lines.append(String(format: "  %-8@ %.1f %% of %d", register as NSString, Double(r.correct) / Double(r.total) * 100, r.total))
        }
        lines.append("class      precision  recall")
        for label in [SentimentModel.Label.positive, .negative, .neutral] {
            let c = perClass[label] ?? Counts()
            lines.append(String(format: "%-10@ %6.1f %%   %6.1f %%", label.rawValue as NSString, c.precision * 100, c.recall * 100))
        }
        lines.append(String(format: "off-platform payment flag: precision %.1f %%, recall %.1f %% (%d labelled)",
                            offPlatform.precision * 100, offPlatform.recall * 100, offPlatform.truePositive + offPlatform.falseNegative))
        return lines.joined(separator: "\n")
    }
}
