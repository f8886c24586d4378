import ServiceKit
import StandIns

let config = try StandInsConfig()
ServiceRuntime.bootstrapLogging(level: config.logLevel)
try await buildStandIns(config: config).runService()
