import NotificationService
import ServiceKit

let config = try NotificationConfig()
ServiceRuntime.bootstrapLogging(level: config.common.logLevel)
let app = try await buildApplication(config: config)
try await app.runService()
