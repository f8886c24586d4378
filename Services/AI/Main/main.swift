import AIService
import Foundation
import ServiceKit

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "train" {
    // `ai-service train [--synthetic N] [--save | --activate]`
    let config = try? AIConfig()
    print(try await train(arguments: arguments, config: config, logger: ServiceRuntime.logger("ai-service", level: "error")))
    exit(0)
}
let config = try AIConfig()
ServiceRuntime.bootstrapLogging(level: config.common.logLevel)
let app = try await buildApplication(config: config)
try await app.runService()
