import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Queue
import Redis
import ServiceKit
import ServiceLifecycle

public func notificationMigrations() throws -> [Migration] {
    try Migration.bundled(in: .module)
}

public func notificationTemplates() async throws -> TemplateLibrary {
    guard let url = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
        throw MigrationError.badFileName("Templates folder missing from the bundle")
    }
    return try await TemplateLibrary(directory: url.path)
}

/// Builds the notification service: the inbox API and the workers of the
/// `notification` queue.
public func buildApplication(config: NotificationConfig, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger = logger ?? ServiceRuntime.logger(config.common.serviceName, level: config.common.logLevel)
    let postgres = try Database.makeClient(url: config.common.databaseURL, logger: logger)
    let redis = try RedisClient(url: config.common.redisURL, logger: logger)
    let http = HTTPClient.shared
    let store = NotificationStore(client: postgres, logger: logger)
    let queue = JobQueue(name: "notification", redis: redis)

    var push: (any PushSending)?
    if let path = config.fcmServiceAccountFile {
        let key = try JSONDecoder().decode(ServiceAccountKey.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        push = try await FCMPushSender(client: http, account: key, baseURL: config.fcmBaseURL)
    } else {
        logger.warning("FCM_SERVICE_ACCOUNT_FILE is not set: push notifications are off")
    }
    let dispatcher = NotificationDispatcher(
        store: store,
        templates: try await notificationTemplates(),
        email: SendGridEmailSender(client: http, baseURL: config.sendgridBaseURL, apiKey: config.sendgridAPIKey, fromEmail: config.mailFrom, fromName: config.mailFromName),
        sms: SemaphoreSMSSender(client: http, baseURL: config.semaphoreBaseURL, apiKey: config.semaphoreAPIKey, senderName: config.smsSenderName),
        push: push
    )
    let events = NotificationEvents.handlers
    let worker = QueueWorker(
        queue: events.queue.name, redis: redis,
        options: config.common.workerOptions(concurrency: config.workerConcurrency),
        logger: logger, handler: events.bind(dispatcher)
    )

    let verifier = TokenVerifier(common: config.common, httpClient: .internalNetwork, sessions: RedisSessionChecker(redis: redis))
    let router = Router.service(AppRequestContext.self)
    router.addOperationalRoutes(service: config.common.serviceName, checks: [.postgres(postgres, logger: logger), .redis(redis)])
    NotificationController(store: store, queue: queue)
        .addRoutes(to: router.group("v1/notifications").add(middleware: AuthenticationMiddleware(verifier: verifier)))
    InternalNotificationController(queue: queue)
        .addRoutes(to: router.group("internal").add(middleware: InternalOnlyMiddleware(credential: ServiceCredential(secret: config.common.internalSecret))))

    return serviceApplication(
        router: router, common: config.common, schema: "notification", migrations: try notificationMigrations(),
        postgres: postgres, services: [RedisService(redis)], afterMigration: [worker], logger: logger)
}
