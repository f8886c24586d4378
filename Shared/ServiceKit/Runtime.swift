import Foundation
import Hummingbird
import Logging
import Synchronization

/// Process-level setup every executable does once.
public enum ServiceRuntime {
    private static let loggingBootstrapped = Mutex(false)

    /// swift-log to stdout at `LOG_LEVEL`; the request id travels as metadata.
    public static func bootstrapLogging(level: String) {
        loggingBootstrapped.withLock { done in
            guard !done else { return }
            let parsed = Logger.Level(rawValue: level.lowercased()) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardOutput(label: label)
                handler.logLevel = parsed
                return handler
            }
            done = true
        }
    }

    public static func logger(_ label: String, level: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: level.lowercased()) ?? .info
        return logger
    }
}

extension Router where Context: ServiceRequestContext {
    /// A router with the middlewares every service has, outermost first:
    /// request id + access log, metrics per route and status, error envelope.
    public static func service(_ context: Context.Type = Context.self) -> Router<Context> {
        ServiceMetrics.bootstrap()
        let router = Router(context: Context.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.add(middleware: NULRefusalMiddleware())
        return router
    }
}
