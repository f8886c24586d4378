import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import Redis
import ServiceKit
import ServiceLifecycle
import TrustTradeDTO

/// The gateway's request context. Bodies are streamed, never collected, so
/// no upload limit applies here; the proxy enforces one per route class.
public struct GatewayRequestContext: ServiceRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestId: String = ""
    public var identity: Identity?
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// Shuts the upstream HTTP client down after the server stopped.
struct HTTPClientService: Service {
    let client: HTTPClient
    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

/// Builds the gateway: `/health`, `/ready`, `/metrics`, CORS, and the proxy
/// for every `/v1/<area>/...` route.
public func buildApplication(config: GatewayConfig, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger = logger ?? ServiceRuntime.logger(config.common.serviceName, level: config.common.logLevel)
    let redis = try RedisClient(url: config.common.redisURL, logger: logger)
    let upstreamHTTP = UpstreamProxy.makeHTTPClient(connectTimeout: config.connectTimeout, maxConnectionsPerUpstream: config.maxConnectionsPerUpstream)
    let registry = UpstreamRegistry(config.upstreams)
    let proxy = UpstreamProxy(http: upstreamHTTP, registry: registry, timeout: config.upstreamTimeout, logger: logger)
    let verifier = TokenVerifier(
        source: HTTPJWKSSource(url: config.common.jwksURL, httpClient: HTTPClient.shared),
        sessions: nil,  // checked with the rate limit, in one Redis round trip
        issuer: config.common.jwtIssuer, audience: config.common.jwtAudience
    )
    let limiter = RateLimiter(redis: redis, outagePolicy: config.redisOutagePolicy, logger: logger)

    let router = Router.service(GatewayRequestContext.self)
    router.add(middleware: GatewayCORSMiddleware(allowedOrigins: config.allowedOrigins))
    router.addOperationalRoutes(service: config.common.serviceName, checks: [.redis(redis)])
    ProxyController(config: config, verifier: verifier, limiter: limiter, proxy: proxy).addRoutes(to: router)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.common.host, port: config.common.port), serverName: config.common.serviceName),
        services: [
            RedisService(redis),
            UpstreamHealthProber(registry: registry, http: upstreamHTTP, interval: config.healthProbeInterval, logger: logger),
            HTTPClientService(client: upstreamHTTP),
        ],
        logger: logger
    )
    app.beforeServerStarts {
        for (service, urls) in config.upstreams.sorted(by: { $0.key < $1.key }) {
            logger.info("upstream", metadata: ["service": "\(service)", "instances": "\(urls.joined(separator: ","))"])
        }
        // Keys load lazily on the first token if the auth service is not up yet.
        do { try await verifier.refresh() } catch {
            logger.notice("signing keys not loaded yet; will fetch on first token", metadata: ["error": "\(error)"])
        }
    }
    return app
}
