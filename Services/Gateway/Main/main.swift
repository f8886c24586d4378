import Gateway
import ServiceKit

let config = try GatewayConfig()
ServiceRuntime.bootstrapLogging(level: config.common.logLevel)
let app = try await buildApplication(config: config)
try await app.runService()
