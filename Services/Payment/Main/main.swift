import PaymentService
import ServiceKit

let config = try PaymentConfig()
ServiceRuntime.bootstrapLogging(level: config.common.logLevel)
let app = try await buildApplication(config: config)
try await app.runService()
