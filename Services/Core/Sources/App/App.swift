import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Queue
import Redis
import ServiceKit
import ServiceLifecycle
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
    let profiles = ProfileService(
        store: ProfileStore(client: postgres, logger: logger),
        auth: InternalClient(httpClient: http, serviceName: config.common.serviceName, credential: ServiceCredential(secret: config.common.internalSecret)),
        authBaseURL: config.authBaseURL)
    let categories = CategoryStore(client: postgres, logger: logger)

    let worker = QueueWorker(queue: "core", redis: redis, options: .init(concurrency: config.workerConcurrency), logger: logger) { job in
        switch job.job.name {
        case EventType.userRegistered:
            let event: EventEnvelope<UserRegisteredEvent>
            do {
                event = try APIJSON.decoder().decode(EventEnvelope<UserRegisteredEvent>.self, from: Data(job.job.data.utf8))
            } catch {
                throw UnrecoverableError("job data is not a user.registered event: \(error)")
            }
            try await profiles.handleRegistered(event.payload)
        default:
            throw UnrecoverableError("no handler for job \(job.job.name)")
        }
        return nil
    }

    let verifier = TokenVerifier(common: config.common, httpClient: http, sessions: RedisSessionChecker(redis: redis))
    let router = Router.service(AppRequestContext.self)
    router.addOperationalRoutes(service: config.common.serviceName, checks: [.postgres(postgres, logger: logger), .redis(redis)])
    UserController(profiles: profiles)
        .addRoutes(to: router.group("v1/users").add(middleware: AuthenticationMiddleware(verifier: verifier)))
    CategoryController(store: categories).addRoutes(to: router.group("v1/categories"))
    ProviderController(providers: ProviderStore(client: postgres, logger: logger), profiles: profiles)
        .addRoutes(to: router.group("v1/providers").add(middleware: AuthenticationMiddleware(verifier: verifier, required: false)))

    return serviceApplication(
        router: router, common: config.common, schema: "core", migrations: try coreMigrations(),
        postgres: postgres, services: [RedisService(redis)], afterMigration: [worker], logger: logger)
}
