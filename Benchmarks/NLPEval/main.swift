import AIService
import Foundation

// `make eval-nlp`: the sentiment and off-platform-payment figures on the
// labelled set (Services/AI/Eval/nlp-eval.tsv); `--mistakes` lists misses.
let arguments = CommandLine.arguments.dropFirst()
let path = arguments.first { !$0.hasPrefix("--") } ?? "Services/AI/Eval/nlp-eval.tsv"
guard let tsv = try? String(contentsOfFile: path, encoding: .utf8) else {
    FileHandle.standardError.write(Data("nlp-eval: cannot read \(path)\n".utf8))
    exit(2)
}
let evaluation = NLPEvaluation.run(tsv: tsv)
print(evaluation.report)
print("aims: sentiment ≥ 85 %, off-platform recall ≥ 90 %")
if arguments.contains("--mistakes") {
    print("")
    evaluation.mistakes.forEach { print($0) }
}
