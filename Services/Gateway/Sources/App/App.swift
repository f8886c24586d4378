import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import Redis
import ServiceKit
import ServiceLifecycle
import Synchronization
import TrustTradeDTO

/// What every client connection of the gateway shares.
final class GatewayCore: Sendable {
    let config: GatewayConfig
    let gatekeeper: Gatekeeper
    let registry: UpstreamRegistry
    let pools: ConnectionPools
    let cors: CORSPolicy
    let clientAddresses: ClientAddressPolicy
    let redis: RedisClient
    let logger: Logger
    let upstreamTimeout: TimeAmount
    /// The public API's description, served at `/v1/openapi.json`.
    let openAPI: ByteBuffer

    init(config: GatewayConfig, gatekeeper: Gatekeeper, registry: UpstreamRegistry, pools: ConnectionPools, redis: RedisClient,
         openAPI: OpenAPIDocument, logger: Logger) {
        self.config = config
        self.gatekeeper = gatekeeper
        self.registry = registry
        self.pools = pools
        self.cors = CORSPolicy(allowedOrigins: config.allowedOrigins)
        self.clientAddresses = ClientAddressPolicy(trustedProxies: config.trustedProxies)
        self.connections = Mutex(ConnectionCounts(maxPerAddress: config.maxConnectionsPerAddress, maxTotal: config.maxConnections))
        self.redis = redis
        self.logger = logger
        self.upstreamTimeout = TimeAmount(config.upstreamTimeout)
        self.openAPI = ByteBuffer(bytes: openAPI.json)
    }

    private struct MetricKey: Hashable {
        let service: String
        let area: String
        let status: Int
    }
    private struct Meters {
        var requests: [MetricKey: Counter] = [:]
        var durations: [String: Timer] = [:]
    }
    /// Metric handles by label set (looking them up in the registry on every
    /// request costs more than the request's own bookkeeping).
    private let meters = Mutex(Meters())

    /// Metrics and the access line of a finished exchange.
    func record(_ exchange: ProxyHandler.Exchange) {
        let service = exchange.route?.service ?? "gateway"
        let area = exchange.route?.area ?? "-"
        let key = MetricKey(service: service, area: area, status: exchange.status)
        let (counter, timer) = meters.withLock { meters in
            let counter = meters.requests[key] ?? {
                let c = Counter(label: "gateway_requests_total", dimensions: [("service", service), ("area", area), ("status", String(key.status))])
                meters.requests[key] = c
                return c
            }()
            let timer = meters.durations[service] ?? {
                let t = Timer(label: "gateway_request_duration_seconds", dimensions: [("service", service)])
                meters.durations[service] = t
                return t
            }()
            return (counter, timer)
        }
        counter.increment()
        let elapsed = ContinuousClock.now - exchange.started
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        timer.recordNanoseconds(nanoseconds)
        logger.info(
            "\(exchange.head.method.rawValue) \(exchange.path) \(exchange.status)",
            metadata: ["requestId": "\(exchange.requestId)", "durationMs": "\(String(format: "%.1f", Double(nanoseconds) / 1e6))"])
    }

    // MARK: open client connections

    private let connections: Mutex<ConnectionCounts>
    private let lastCapLog = Mutex<ContinuousClock.Instant?>(nil)
    private let openConnections = Gauge(label: "gateway_open_connections")

    /// Counts a new client connection, or refuses it (the caller closes it)
    /// when its address or the gateway is at its cap.
    func openConnection(from peer: String) -> Bool {
        let exempt = clientAddresses.isTrusted(peer)
        let (admission, total) = connections.withLock { counts in (counts.open(peer, exempt: exempt), counts.total) }
        guard admission == .admitted else {
            let kind = admission == .addressFull ? "address" : "gateway"
            Counter(label: "gateway_connections_refused_total", dimensions: [("cap", kind)]).increment()
            // One line per 10 s, not one per refused socket of a flood.
            let now = ContinuousClock.now
            let shouldLog = lastCapLog.withLock { last in
                guard last.map({ now - $0 >= .seconds(10) }) ?? true else { return false }
                last = now
                return true
            }
            if shouldLog {
                logger.warning("connection refused: cap reached", metadata: [
                    "cap": "\(kind)", "peer": "\(peer)", "open": "\(total)",
                    "maxPerAddress": "\(config.maxConnectionsPerAddress)", "max": "\(config.maxConnections)"])
            }
            return false
        }
        openConnections.record(total)
        return true
    }

    func closeConnection(from peer: String) {
        let exempt = clientAddresses.isTrusted(peer)
        let total = connections.withLock { counts in
            counts.close(peer, exempt: exempt)
            return counts.total
        }
        openConnections.record(total)
    }

    func upstreamError(_ instance: UpstreamInstance, kind: String) {
        Counter(label: "gateway_upstream_errors_total", dimensions: [("upstream", instance.baseURL), ("kind", kind)]).increment()
    }
}

/// The listening socket: HTTP/1.1 with keep-alive and pipelining, one
/// `ProxyHandler` per connection. Graceful shutdown stops accepting, lets
/// each connection finish its current answer, then closes it.
struct GatewayServer: Service {
    let core: GatewayCore
    let host: String
    let port: Int

    func run() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let quiesce = ServerQuiescingHelper(group: group)
        let core = self.core
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let peer = channel.remoteAddress?.ipAddress ?? "unknown"
                    guard core.openConnection(from: peer) else {
                        channel.close(promise: nil)
                        return
                    }
                    channel.closeFuture.whenComplete { _ in core.closeConnection(from: peer) }
                    let config = core.config
                    let headGuard = HeadGuardHandler(limits: config.headLimits, headTimeout: config.headTimeout, idleTimeout: config.idleTimeout)
                    var limits = NIOHTTPDecoderLimitConfiguration()
                    limits.maxHeaderFieldSize = config.headLimits.maxLineBytes
                    limits.maxHeaderListSize = config.headLimits.maxHeadBytes
                    limits.maxHeaderFieldCount = config.maxHeaderFields
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(headGuard)
                    try pipeline.configureHTTPServerPipeline(
                        withPipeliningAssistance: true, withErrorHandling: false,
                        withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
                    try pipeline.addHandler(ProtocolErrorHandler())
                    try pipeline.addHandler(ProxyHandler(core: core, headGuard: headGuard))
                }
            }
            .bind(host: host, port: port).get()
        core.logger.info("gateway listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "")"])
        let stopped = group.any().makePromise(of: Void.self)
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await channel.closeFuture.get()
                try await stopped.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
                stopped.succeed()
            }
        } onGracefulShutdown: {
            quiesce.initiateShutdown(promise: stopped)
        }
        core.pools.closeAll()
    }
}

/// The gateway: the server plus what runs beside it (Redis pool, health
/// probes of upstream instances).
public struct GatewayApplication: Service {
    let services: [any Service]
    let logger: Logger

    public func run() async throws {
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
        try await withGracefulShutdownHandler {
            try await group.run()
        } onGracefulShutdown: {
            Task { await group.triggerGracefulShutdown() }
        }
    }

    /// Runs until SIGTERM/SIGINT, then shuts down gracefully.
    public func runService() async throws {
        let group = ServiceGroup(configuration: .init(services: [.init(service: self)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Builds the gateway: `/health`, `/ready`, `/metrics`, CORS preflights, and
/// the proxy for every `/v1/<area>/...` route.
public func buildApplication(config: GatewayConfig, logger: Logger? = nil) async throws -> GatewayApplication {
    ServiceMetrics.bootstrap()
    let logger = logger ?? ServiceRuntime.logger(config.common.serviceName, level: config.common.logLevel)
    let redis = try RedisClient(url: config.common.redisURL, logger: logger)
    let registry = UpstreamRegistry(config.upstreams)
    // Sessions are checked with the rate limit, in one Redis round trip.
    let verifier = TokenVerifier(common: config.common, httpClient: .internalNetwork, sessions: nil)
    let limiter = RateLimiter(redis: redis, outagePolicy: config.redisOutagePolicy, logger: logger)
    let pools = ConnectionPools(group: MultiThreadedEventLoopGroup.singleton, connectTimeout: TimeAmount(config.connectTimeout),
                                maxIdlePerInstance: config.maxIdleConnectionsPerUpstream)
    let core = GatewayCore(
        config: config, gatekeeper: Gatekeeper(config: config, verifier: verifier, limiter: limiter),
        registry: registry, pools: pools, redis: redis, openAPI: try OpenAPIDocument.bundled(), logger: logger)

    for (service, urls) in config.upstreams.sorted(by: { $0.key < $1.key }) {
        logger.info("upstream", metadata: ["service": "\(service)", "instances": "\(urls.joined(separator: ","))"])
    }
    // Warm the key cache without delaying the start; keys load on the first
    // token anyway if the auth service is not up yet.
    Task {
        do { try await verifier.refresh() } catch {
            logger.notice("signing keys not loaded yet; will fetch on first token", metadata: ["error": "\(error)"])
        }
    }
    return GatewayApplication(
        services: [
            GatewayServer(core: core, host: config.common.host, port: config.common.port),
            MetricsServer(host: config.metricsHost, port: config.metricsPort, logger: logger),
            RedisService(redis),
            UpstreamHealthProber(registry: registry, http: HTTPClient.shared, interval: config.healthProbeInterval, logger: logger),
        ],
        logger: logger)
}
