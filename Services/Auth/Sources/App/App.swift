import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Logging
import NIOPosix
import PostgresNIO
import Queue
import TrustTradeDTO
import Redis
import ServiceKit
import ServiceLifecycle

/// The auth service's migrations, shipped as numbered SQL files.
public func authMigrations() throws -> [Migration] {
    try Migration.bundled(in: .module)
}

/// Builds the auth service: the same application runs under `main` and in
/// tests (`app.test(.router)` / `.live`).
public func buildApplication(config: AuthConfig, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger = logger ?? ServiceRuntime.logger(config.common.serviceName, level: config.common.logLevel)
    let postgres = try Database.makeClient(url: config.common.databaseURL, logger: logger)
    let redis = try RedisClient(url: config.common.redisURL, logger: logger)
    let http = HTTPClient.shared

    let users = UserStore(client: postgres, logger: logger)
    let sessions = SessionStore(client: postgres, redis: redis, logger: logger, refreshLifetime: config.refreshTokenLifetime)
    let keyStore = SigningKeyStore(client: postgres, logger: logger, encryptionSecret: config.keyEncryptionSecret)
    let issuer = TokenIssuer(
        store: keyStore, issuer: config.common.jwtIssuer, audience: config.common.jwtAudience,
        accessTokenLifetime: config.accessTokenLifetime, rotation: config.signingKeyRotation, logger: logger
    )
    // The auth service checks its own tokens against its own keys and sessions.
    let verifier = TokenVerifier(
        source: issuer, sessions: RedisSessionChecker(redis: redis),
        issuer: config.common.jwtIssuer, audience: config.common.jwtAudience
    )
    let cost = UInt8(config.bcryptCost)
    let decoy = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(UUID().uuidString, cost: cost) }
    let accounts = AccountService(
        config: config, postgres: postgres, redis: redis, users: users, sessions: sessions,
        emailTokens: EmailTokenStore(logger: logger), issuer: issuer,
        outbox: OutboxWriter(schema: "auth"), logger: logger, decoyHash: decoy
    )
    let oauth = OAuthFlow(config: config, redis: redis, http: http, accounts: accounts)

    let router = Router.service(AppRequestContext.self)
    router.addOperationalRoutes(service: config.common.serviceName, checks: [
        .postgres(postgres, logger: logger),
        .redis(redis),
    ])
    AuthController(accounts: accounts, oauth: oauth, issuer: issuer, verifier: verifier, trustProxy: config.common.trustProxy)
        .addRoutes(to: router.group("v1/auth"))
    InternalController(users: users)
        .addRoutes(to: router.group("internal").add(middleware: InternalOnlyMiddleware(credential: ServiceCredential(secret: config.common.internalSecret))))

    router.addRouteListing(credential: ServiceCredential(secret: config.common.internalSecret))

    let migrations = try authMigrations()
    let migrated = StartGate()
    // Emails and user.registered events leave through the outbox.
    let relay = OutboxRelay(schema: "auth", postgres: postgres, logger: logger, retention: config.common.outboxRetention, gate: migrated) { name in
        JobQueue(name: name, redis: redis)
    }
    // Other services' news about accounts (a consumer became a provider).
    let events = AuthEvents.handlers
    let worker = QueueWorker(queue: events.queue.name, redis: redis, options: config.common.workerOptions(), logger: logger,
                             handler: events.bind(.init(users: users)))
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.common.host, port: config.common.port), serverName: config.common.serviceName),
        services: [postgres, RedisService(redis), relay, GatedService(gate: migrated, worker), PeriodicTask(every: .seconds(60), logger: logger) { await issuer.maintain() }],
        logger: logger
    )
    app.beforeServerStarts {
        try await Migrator(schema: "auth", migrations: migrations).migrate(client: postgres, logger: logger)
        try await issuer.start()
        await migrated.open()
    }
    return app
}
