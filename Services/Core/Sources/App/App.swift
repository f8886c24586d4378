import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Queue
import Redis
import ServiceKit
import ServiceLifecycle
import HummingbirdWebSocket
import TrustTradeDTO

public func coreMigrations() throws -> [Migration] {
    try Migration.bundled(in: .module)
}

/// Builds the core service: profiles and categories (providers, search,
/// bookings, reviews and chats follow), and the worker of the `core` queue.
public func buildApplication(config: CoreConfig, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger = logger ?? ServiceRuntime.logger(config.common.serviceName, level: config.common.logLevel)
    let postgres = try Database.makeClient(url: config.common.databaseURL, logger: logger)
    let redis = try RedisClient(url: config.common.redisURL, logger: logger)
    let http = HTTPClient.shared
    let internalClient = InternalClient(httpClient: .internalNetwork, serviceName: config.common.serviceName, credential: ServiceCredential(secret: config.common.internalSecret))
    let profiles = ProfileService(store: ProfileStore(client: postgres, logger: logger), auth: internalClient, authBaseURL: config.authBaseURL)
    let files = FileDirectory(client: internalClient, baseURL: config.fileBaseURL)
    let categories = CategoryStore(client: postgres, logger: logger)
    let bookings = BookingStore(client: postgres, logger: logger, settings: .init(
        pendingLifetime: config.bookingPendingLifetime, confirmationWindow: config.bookingConfirmationWindow, appBaseURL: config.appBaseURL))

    let stats = DailyStats(redis: redis, logger: logger)
    let directory = ProviderDirectory(
        store: ProviderStore(client: postgres, logger: logger), searchStore: ProviderSearchStore(client: postgres, logger: logger),
        cache: ProviderCache(redis: config.searchCache ? redis : nil, logger: logger), stats: stats)
    let providerStore = ProviderStore(client: postgres, logger: logger)
    let events = CoreEvents.handlers
    let worker = QueueWorker(queue: events.queue.name, redis: redis, options: config.common.workerOptions(concurrency: config.workerConcurrency), logger: logger,
                             handler: events.bind(.init(profiles: profiles, bookings: bookings, providers: providerStore, directory: directory)))
    let relay = OutboxRelay(schema: "core", postgres: postgres, logger: logger, retention: config.common.outboxRetention) { name in JobQueue(name: name, redis: redis) }

    let sessions = RedisSessionChecker(redis: redis)
    let verifier = TokenVerifier(common: config.common, httpClient: .internalNetwork, sessions: sessions)
    let router = Router.service(CoreRequestContext.self)
    router.addOperationalRoutes(service: config.common.serviceName, checks: [.postgres(postgres, logger: logger), .redis(redis)])
    UserController(profiles: profiles, files: files)
        .addRoutes(to: router.group("v1/users").add(middleware: AuthenticationMiddleware(verifier: verifier)))
    CategoryController(store: categories, directory: directory).addRoutes(to: router.group("v1/categories"))
    let reviews = ReviewController<CoreRequestContext>(reviews: ReviewStore(client: postgres, logger: logger, appBaseURL: config.appBaseURL), directory: directory, stats: stats)
    reviews.addRoutes(to: router.group("v1/reviews").add(middleware: AuthenticationMiddleware(verifier: verifier, required: false)))
    ProviderController(providers: providerStore, profiles: profiles, reviews: reviews, directory: directory, files: files)
        .addRoutes(to: router.group("v1/providers").add(middleware: AuthenticationMiddleware(verifier: verifier, required: false)))
    let hub = ChatHub(redis: redis, logger: logger)
    let tickets = ChatTicketStore(redis: redis)
    let chats = ChatController<CoreRequestContext>(
        chats: ChatStore(client: postgres, logger: logger), hub: hub, stats: stats, profiles: profiles, files: files,
        tickets: tickets, sessions: sessions, limits: config.chatSocket)
    // Public at the gateway (tickets): core alone decides who opens a socket.
    chats.addLiveRoute(to: router.group("v1/chats/live").add(
        middleware: ChatSocketAuthenticationMiddleware(verifier: verifier, tickets: tickets, sessions: sessions)))
    chats.addRoutes(to: router.group("v1/chats").add(middleware: AuthenticationMiddleware(verifier: verifier)))
    InternalBookingController(bookings: bookings, providers: providerStore).addRoutes(
        to: router.group("internal").add(middleware: InternalOnlyMiddleware(credential: ServiceCredential(secret: config.common.internalSecret))))
    BookingController(bookings: bookings, profiles: profiles, directory: directory, stats: stats)
        .addRoutes(to: router.group("v1/bookings").add(middleware: AuthenticationMiddleware(verifier: verifier)))

    return serviceApplication(
        router: router, common: config.common, schema: "core", migrations: try coreMigrations(),
        postgres: postgres, services: [RedisService(redis)], afterMigration: [worker, relay, hub],
        server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: .init(maxFrameSize: config.chatSocket.maxFrameBytes))),
        logger: logger)
}
