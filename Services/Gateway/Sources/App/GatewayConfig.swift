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
    /// Peers whose `X-Forwarded-For` we extend (a load balancer in front);
    /// from anyone else it is replaced by the socket's address.
    public var trustedProxies: Set<String>
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
        ]
        switch settings.string("GATEWAY_REDIS_OUTAGE", default: "open") {
        case "open": redisOutagePolicy = .failOpen
        case "closed": redisOutagePolicy = .failClosed
        case let other: throw ConfigurationError(key: "GATEWAY_REDIS_OUTAGE", message: "must be open or closed, got \(other)")
        }
        let general = try settings.int("GATEWAY_MAX_BODY_BYTES", default: 1 << 20)
        bodyLimits = [
            .auth: general, .search: general, .general: general,
            .webhook: try settings.int("GATEWAY_MAX_WEBHOOK_BODY_BYTES", default: 1 << 20),
            .upload: try settings.int("GATEWAY_MAX_UPLOAD_BYTES", default: 64 << 20),
        ]
        allowedOrigins = settings.list("CORS_ALLOWED_ORIGINS", default: Self.seedOrigins)
        upstreamTimeout = .milliseconds(try settings.int("GATEWAY_UPSTREAM_TIMEOUT_MS", default: 30_000))
        connectTimeout = .milliseconds(try settings.int("GATEWAY_CONNECT_TIMEOUT_MS", default: 1_000))
        healthProbeInterval = .milliseconds(try settings.int("GATEWAY_HEALTH_PROBE_INTERVAL_MS", default: 2_000))
        trustedProxies = Set(settings.list("GATEWAY_TRUSTED_PROXIES", default: []))
        replayableBodyLimit = try settings.int("GATEWAY_REPLAYABLE_BODY_BYTES", default: 64 << 10)
        maxIdleConnectionsPerUpstream = try settings.int("GATEWAY_MAX_IDLE_CONNECTIONS_PER_UPSTREAM", default: 128)
    }
}
