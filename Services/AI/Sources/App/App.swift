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

public func aiMigrations() throws -> [Migration] {
    try Migration.bundled(in: .module)
}

/// Builds the AI service: trust scores kept from the events on the `ai`
/// queue, matching and text analysis over its own copy of the providers.
public func buildApplication(config: AIConfig, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger = logger ?? ServiceRuntime.logger(config.common.serviceName, level: config.common.logLevel)
    let postgres = try Database.makeClient(url: config.common.databaseURL, logger: logger)
    let redis = try RedisClient(url: config.common.redisURL, logger: logger)
    let trust = TrustStore(client: postgres, logger: logger)

    let moderation = ModerationStore(client: postgres, logger: logger)
    let events = AIEvents.handlers
    let worker = QueueWorker(queue: events.queue.name, redis: redis, options: config.common.workerOptions(concurrency: config.workerConcurrency), logger: logger,
                             handler: events.bind(.init(trust: trust, moderation: moderation)))
    let index = MatchingIndex()
    let matching = MatchingStore(client: postgres, logger: logger, index: index, interval: config.matchingRefresh)
    let relay = OutboxRelay(schema: "ai", postgres: postgres, logger: logger, retention: config.common.outboxRetention) { name in JobQueue(name: name, redis: redis) }

    let verifier = TokenVerifier(common: config.common, httpClient: .internalNetwork, sessions: RedisSessionChecker(redis: redis))
    let router = Router.service(AppRequestContext.self)
    router.addOperationalRoutes(service: config.common.serviceName, checks: [.postgres(postgres, logger: logger), .redis(redis)])
    NLPController(moderation: moderation).addRoutes(
        nlp: router.group("v1/ai/nlp").add(middleware: AuthenticationMiddleware(verifier: verifier)),
        moderation: router.group("v1/ai/moderation").add(middleware: AuthenticationMiddleware(verifier: verifier)))
    MatchingController(index: index, store: matching).addRoutes(
        to: router.group("v1/ai/matching").add(middleware: AuthenticationMiddleware(verifier: verifier, required: false)))
    TrustController(trust: trust, models: ModelStore(client: postgres, logger: logger)).addRoutes(
        to: router.group("v1/ai/trust-score").add(middleware: AuthenticationMiddleware(verifier: verifier, required: false)))

    return serviceApplication(
        router: router, common: config.common, schema: "ai", migrations: try aiMigrations(),
        postgres: postgres, services: [RedisService(redis)], afterMigration: [worker, relay, matching], logger: logger)
}
