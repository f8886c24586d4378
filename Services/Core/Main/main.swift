import CoreService
import ServiceKit

let config = try CoreConfig()
ServiceRuntime.bootstrapLogging(level: config.common.logLevel)
let app = try await buildApplication(config: config)
try await app.runService()
