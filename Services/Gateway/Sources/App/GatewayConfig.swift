import Foundation
import ServiceKit

/// Everything the gateway reads from its environment.
///
/// Upstreams: `GATEWAY_UPSTREAM_<SERVICE>` = comma-separated base URLs, one per
/// instance (`GATEWAY_UPSTREAM_CORE=http://10.0.0.5:3000,http://10.0.0.6:3000`).
/// Areas: `GATEWAY_ROUTES` = `area=service,...` added to (or replacing) the
/// standard table.
public struct GatewayConfig: Sendable {
    public var common: CommonConfig
    public var upstreams: [String: [String]]
    public var routes: RouteTable
    public var limits: [RouteClass: RateLimitPolicy]
    public var redisOutagePolicy: RedisOutagePolicy
    public var bodyLimits: [RouteClass: Int]
    public var allowedOrigins: [String]
    /// Time to the upstream's response head before a 504.
    public var upstreamTimeout: Duration
    public var connectTimeout: Duration
    public var healthProbeInterval: Duration
    /// Our own proxies in front (load balancers, CDN), as CIDR ranges: from
    /// them the client is the rightmost `X-Forwarded-For` hop not in these
    /// ranges; from anyone else, the socket's address.
    public var trustedProxies: [IPRange]
    /// Time for a request head to arrive (slowloris), from the first byte,
    /// or from the connection's start: 408 and close.
    public var headTimeout: Duration
    /// A keep-alive connection with no request for this long is closed.
    public var idleTimeout: Duration
    /// A request body with no bytes for this long ends its exchange.
    public var bodyTimeout: Duration
    /// Request line and head size as sent, and header fields (431 beyond).
    public var headLimits: HeadScanner.Limits
    public var maxHeaderFields: Int
    /// Open client connections per peer address (our proxies excepted) and in all.
    public var maxConnectionsPerAddress: Int
    public var maxConnections: Int
    /// `/metrics` is served here, never on the public port.
    public var metricsHost: String
    public var metricsPort: Int
    /// Request bodies up to this size are kept until the answer starts, so an
    /// idempotent request can move to another instance when the first closes
    /// the connection without answering.
    public var replayableBodyLimit: Int
    /// Idle keep-alive connections kept per instance and event loop.
    public var maxIdleConnectionsPerUpstream: Int

    public static let standardUpstreams: [String: [String]] = [
        "auth": ["http://127.0.0.1:3001"],
        "core": ["http://127.0.0.1:3000"],
        "payment": ["http://127.0.0.1:3002"],
        "notification": ["http://127.0.0.1:3003"],
        "file": ["http://127.0.0.1:3004"],
        "ai": ["http://127.0.0.1:5000"],
    ]

    public static let seedOrigins = ["https://aitrusttrade.ph", "https://www.aitrusttrade.ph", "https://admin.aitrusttrade.ph"]

    public init(settings: Settings = Settings()) throws {
        common = try CommonConfig(serviceName: "gateway", defaultPort: 8080, settings: settings)
        var routes = RouteTable.standard
        for entry in settings.list("GATEWAY_ROUTES", default: []) {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ConfigurationError(key: "GATEWAY_ROUTES", message: "entries are area=service, got \(entry)")
            }
            routes.areas[parts[0]] = parts[1]
        }
        self.routes = routes
        var upstreams = Self.standardUpstreams
        for service in Set(routes.areas.values) {
            let key = "GATEWAY_UPSTREAM_\(service.uppercased())"
            let urls = settings.list(key, default: upstreams[service] ?? [])
            // Upstreams are on the internal network (DESIGN: plain HTTP between services).
            for url in urls where !url.hasPrefix("http://") {
                throw ConfigurationError(key: key, message: "must be http:// base URLs of internal instances, got \(url)")
            }
            upstreams[service] = urls
        }
        self.upstreams = upstreams

        let window = try settings.int("GATEWAY_RATE_LIMIT_WINDOW_SECONDS", default: 60)
        guard window >= 1 else { throw ConfigurationError(key: "GATEWAY_RATE_LIMIT_WINDOW_SECONDS", message: "must be at least 1") }
        limits = [
            .auth: RateLimitPolicy(limit: try settings.int("GATEWAY_RATE_LIMIT_AUTH", default: 5), windowSeconds: window),
            .search: RateLimitPolicy(limit: try settings.int("GATEWAY_RATE_LIMIT_SEARCH", default: 30), windowSeconds: window),
            .general: RateLimitPolicy(limit: try settings.int("GATEWAY_RATE_LIMIT_GENERAL", default: 100), windowSeconds: window),
            .upload: RateLimitPolicy(limit: try settings.int("GATEWAY_RATE_LIMIT_UPLOAD", default: 100), windowSeconds: window),
            // PayMongo retries a failed delivery; a generous per-address cap
            // only stops someone flooding the signature check.
            .webhook: RateLimitPolicy(limit: try settings.int("GATEWAY_RATE_LIMIT_WEBHOOK", default: 600), windowSeconds: window),
        ]
        switch settings.string("GATEWAY_REDIS_OUTAGE", default: "open") {
        case "open": redisOutagePolicy = .failOpen
        case "closed": redisOutagePolicy = .failClosed
        case let other: throw ConfigurationError(key: "GATEWAY_REDIS_OUTAGE", message: "must be open or closed, got \(other)")
        }
        let general = try settings.int("GATEWAY_MAX_BODY_BYTES", default: 1 << 20)
        bodyLimits = [
            .auth: general, .search: general, .general: general,
            .webhook: try settings.int("GATEWAY_MAX_WEBHOOK_BODY_BYTES", default: 256 << 10),
            .upload: try settings.int("GATEWAY_MAX_UPLOAD_BYTES", default: 64 << 20),
        ]
        allowedOrigins = settings.list("CORS_ALLOWED_ORIGINS", default: Self.seedOrigins)
        upstreamTimeout = .milliseconds(try settings.int("GATEWAY_UPSTREAM_TIMEOUT_MS", default: 30_000))
        connectTimeout = .milliseconds(try settings.int("GATEWAY_CONNECT_TIMEOUT_MS", default: 1_000))
        healthProbeInterval = .milliseconds(try settings.int("GATEWAY_HEALTH_PROBE_INTERVAL_MS", default: 2_000))
        trustedProxies = try settings.list("GATEWAY_TRUSTED_PROXIES", default: []).map { entry in
            guard let range = IPRange(entry) else {
                throw ConfigurationError(key: "GATEWAY_TRUSTED_PROXIES", message: "entries are addresses or CIDR ranges (10.0.0.0/8, 2001:db8::/32), got \(entry)")
            }
            return range
        }
        func milliseconds(_ key: String, _ fallback: Int) throws -> Duration {
            let value = try settings.int(key, default: fallback)
            guard value >= 1 else { throw ConfigurationError(key: key, message: "must be at least 1") }
            return .milliseconds(value)
        }
        headTimeout = try milliseconds("GATEWAY_HEAD_TIMEOUT_MS", 10_000)
        idleTimeout = try milliseconds("GATEWAY_IDLE_TIMEOUT_MS", 60_000)
        bodyTimeout = try milliseconds("GATEWAY_BODY_TIMEOUT_MS", 30_000)
        headLimits = HeadScanner.Limits(
            maxHeadBytes: try settings.int("GATEWAY_MAX_HEAD_BYTES", default: 16 << 10),
            maxLineBytes: try settings.int("GATEWAY_MAX_HEADER_LINE_BYTES", default: 8 << 10))
        maxHeaderFields = try settings.int("GATEWAY_MAX_HEADER_FIELDS", default: 100)
        guard headLimits.maxLineBytes >= 256, headLimits.maxHeadBytes >= headLimits.maxLineBytes, maxHeaderFields >= 8 else {
            throw ConfigurationError(key: "GATEWAY_MAX_HEAD_BYTES", message: "head ≥ line ≥ 256 bytes and at least 8 header fields")
        }
        maxConnectionsPerAddress = try settings.int("GATEWAY_MAX_CONNECTIONS_PER_ADDRESS", default: 256)
        maxConnections = try settings.int("GATEWAY_MAX_CONNECTIONS", default: 16_384)
        guard maxConnectionsPerAddress >= 1, maxConnections >= maxConnectionsPerAddress else {
            throw ConfigurationError(key: "GATEWAY_MAX_CONNECTIONS", message: "must be at least GATEWAY_MAX_CONNECTIONS_PER_ADDRESS, which must be at least 1")
        }
        metricsHost = settings.string("GATEWAY_METRICS_HOST", default: "127.0.0.1")
        metricsPort = try settings.int("GATEWAY_METRICS_PORT", default: 9080)
        replayableBodyLimit = try settings.int("GATEWAY_REPLAYABLE_BODY_BYTES", default: 64 << 10)
        maxIdleConnectionsPerUpstream = try settings.int("GATEWAY_MAX_IDLE_CONNECTIONS_PER_UPSTREAM", default: 128)
    }
}
