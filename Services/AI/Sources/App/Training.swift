import Foundation
import Logging
import ServiceKit

/// `ai-service train`: fits the completion model on the platform's finished
/// bookings (or, with `--synthetic N`, on the documented synthetic history
/// of N providers, without a database), reports the AUC on the held-out
/// fifth, and with `--save` stores it as the next version (`--activate`: the
/// one predictions use).
public func train(arguments: [String], config: AIConfig?, logger: Logger) async throws -> String {
    let synthetic = arguments.firstIndex(of: "--synthetic").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : 2_000 }
    let save = arguments.contains("--save") || arguments.contains("--activate")
    var lines: [String] = []
    let model: CompletionModel
    if let synthetic {
        let samples = SyntheticHistory.samples(providers: synthetic)
        model = CompletionModel.fit(samples, version: 0, source: "synthetic")
        lines.append("synthetic history: \(synthetic) providers, \(samples.count) bookings, \(samples.filter { $0.y == 1 }.count) completed cleanly")
    } else {
        guard let config else { return "train: DATABASE_URL is needed to read the platform's bookings" }
        let samples = try await Database.withClient(url: config.common.databaseURL, logger: logger) { client in
            try await ModelStore(client: client, logger: logger).platformSamples()
        }
        guard samples.count >= 200, Set(samples.map(\.y)).count == 2 else {
            return "train: \(samples.count) finished bookings; at least 200 with both outcomes are needed (the shipped model stays)"
        }
        model = CompletionModel.fit(samples, version: 0, source: "platform")
        lines.append("platform history: \(samples.count) finished bookings")
    }
    lines.append(String(format: "held-out AUC: %.3f", model.auc))
    lines.append("weights: " + zip(CompletionModel.features, model.weights).map { String(format: "%@ %.4f", $0.0 as NSString, $0.1) }.joined(separator: ", "))
    lines.append("json: " + String(decoding: try JSONEncoder().encode(model.weights), as: UTF8.self))
    if save, let config {
        let version = try await Database.withClient(url: config.common.databaseURL, logger: logger) { client in
            try await ModelStore(client: client, logger: logger).save(model, activate: arguments.contains("--activate"))
        }
        lines.append("saved as version \(version)\(arguments.contains("--activate") ? " (active)" : "")")
    }
    return lines.joined(separator: "\n")
}
