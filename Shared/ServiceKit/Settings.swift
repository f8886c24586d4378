import Foundation

/// Configuration read from environment variables, with local defaults so
/// `make run` works with nothing set. Tests pass their own dictionary.
public struct Settings: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    public func string(_ key: String, default fallback: String) -> String {
        if let v = values[key], !v.isEmpty { return v }
        return fallback
    }

    public func optionalString(_ key: String) -> String? {
        if let v = values[key], !v.isEmpty { return v }
        return nil
    }

    public func int(_ key: String, default fallback: Int) throws -> Int {
        guard let raw = optionalString(key) else { return fallback }
        guard let v = Int(raw) else { throw ConfigurationError(key: key, message: "must be a whole number, got \(raw)") }
        return v
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let raw = optionalString(key)?.lowercased() else { return fallback }
        switch raw {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(key: key, message: "must be true or false, got \(raw)")
        }
    }

    public func list(_ key: String, default fallback: [String]) -> [String] {
        guard let raw = optionalString(key) else { return fallback }
        return raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func merging(_ overrides: [String: String]) -> Settings {
        Settings(values.merging(overrides) { _, new in new })
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let key: String
    public let message: String
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }
    public var description: String { "configuration \(key) \(message)" }
}

/// Settings every service shares. Each service adds its own on top.
public struct CommonConfig: Sendable {
    public var serviceName: String
    public var host: String
    public var port: Int
    public var databaseURL: String
    public var redisURL: String
    public var logLevel: String
    /// Where the auth service publishes its public keys.
    public var jwksURL: String
    public var jwtIssuer: String
    public var jwtAudience: String
    /// Shared secret for service-to-service credentials (`/internal/...`).
    public var internalSecret: String
    /// Take the client's address from the gateway's `X-Client-IP` (only
    /// when nothing but our gateway can reach the service).
    public var trustProxy: Bool
    /// Queue workers: how long a job's lock lasts without renewal (a worker
    /// that died holds its jobs this long), and how often stalled jobs are
    /// looked for. A dead worker's jobs are back in wait after at most about
    /// lock + 2 × interval.
    public var queueLockDurationMs: Int
    public var queueStalledIntervalMs: Int
    /// How long published outbox rows are kept before they are deleted.
    public var outboxRetention: Duration

    public init(serviceName: String, defaultPort: Int, settings: Settings) throws {
        self.serviceName = serviceName
        self.host = settings.string("HOST", default: "127.0.0.1")
        self.port = try settings.int("PORT", default: defaultPort)
        self.databaseURL = settings.string("DATABASE_URL", default: "postgres://trusttrade:trusttrade@127.0.0.1:5432/trusttrade")
        self.redisURL = settings.string("REDIS_URL", default: "redis://127.0.0.1:6379/0")
        self.logLevel = settings.string("LOG_LEVEL", default: "info")
        self.jwksURL = settings.string("AUTH_JWKS_URL", default: "http://127.0.0.1:3001/v1/auth/.well-known/jwks.json")
        self.jwtIssuer = settings.string("JWT_ISSUER", default: "https://api.trusttrade.ph")
        self.jwtAudience = settings.string("JWT_AUDIENCE", default: "trusttrade-api")
        self.internalSecret = settings.string("INTERNAL_SERVICE_SECRET", default: "dev-internal-secret-change-me")
        self.trustProxy = try settings.bool("TRUST_PROXY", default: false)
        self.queueLockDurationMs = try settings.int("QUEUE_LOCK_DURATION_MS", default: 30_000)
        self.queueStalledIntervalMs = try settings.int("QUEUE_STALLED_INTERVAL_MS", default: 30_000)
        let retentionHours = try settings.int("OUTBOX_RETENTION_HOURS", default: 168)
        guard retentionHours >= 1 else { throw ConfigurationError(key: "OUTBOX_RETENTION_HOURS", message: "must be at least 1") }
        self.outboxRetention = .seconds(retentionHours * 3600)
        guard queueLockDurationMs >= 1_000 else { throw ConfigurationError(key: "QUEUE_LOCK_DURATION_MS", message: "must be at least 1000") }
        guard queueStalledIntervalMs >= 500 else { throw ConfigurationError(key: "QUEUE_STALLED_INTERVAL_MS", message: "must be at least 500") }
    }
}
