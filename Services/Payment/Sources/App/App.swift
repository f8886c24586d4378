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

public func paymentMigrations() throws -> [Migration] {
    try Migration.bundled(in: .module)
}

/// Builds the payment service: escrow on a double-entry ledger, fed by the
/// booking events on the `payment` queue; PayMongo payments and refunds,
/// payouts, disputes, job cover and provider loans.
public func buildApplication(config: PaymentConfig, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger = logger ?? ServiceRuntime.logger(config.common.serviceName, level: config.common.logLevel)
    let postgres = try Database.makeClient(url: config.common.databaseURL, logger: logger)
    let redis = try RedisClient(url: config.common.redisURL, logger: logger)
    let escrow = EscrowStore(client: postgres, logger: logger, fees: config.fees, appBaseURL: config.appBaseURL)
    let bookingEvents = BookingEventHandler(escrow: escrow, logger: logger)
    let core = CoreLookup(
        client: InternalClient(httpClient: .internalNetwork, serviceName: config.common.serviceName,
                               credential: ServiceCredential(secret: config.common.internalSecret)),
        baseURL: config.coreBaseURL)
    let payments = Payments(
        store: PaymentStore(client: postgres, logger: logger), escrow: escrow,
        paymongo: PayMongoClient(baseURL: config.paymongoBaseURL, secretKey: config.paymongoSecretKey, http: HTTPClient.shared),
        defaultReturnURL: config.paymentReturnURL, bookings: core, logger: logger)
    let sealer = try Sealer(base64Key: config.dataKey)
    let loans = LoanStore(client: postgres, logger: logger)

    let events = PaymentEvents.handlers
    let worker = QueueWorker(queue: events.queue.name, redis: redis, options: config.common.workerOptions(concurrency: config.workerConcurrency), logger: logger,
                             handler: events.bind(.init(payments: payments, loans: loans, bookings: bookingEvents)))
    let relay = OutboxRelay(schema: "payment", postgres: postgres, logger: logger, retention: config.common.outboxRetention) { name in JobQueue(name: name, redis: redis) }

    let verifier = TokenVerifier(common: config.common, httpClient: .internalNetwork, sessions: RedisSessionChecker(redis: redis))
    let router = Router.service(AppRequestContext.self)
    router.addOperationalRoutes(service: config.common.serviceName, checks: [.postgres(postgres, logger: logger), .redis(redis)])
    // Requests that move money take an Idempotency-Key.
    let idempotent = IdempotencyMiddleware<AppRequestContext>(redis: redis, service: config.common.serviceName)
    let transactions = TransactionController<AppRequestContext>(escrow: escrow, payments: payments)
    transactions.addRoutes(
        to: router.group("v1/transactions").add(middleware: AuthenticationMiddleware(verifier: verifier)).add(middleware: idempotent))
    transactions.addEscrowRoutes(
        to: router.group("v1/escrow").add(middleware: AuthenticationMiddleware(verifier: verifier)).add(middleware: idempotent))
    PayoutController(payouts: PayoutStore(client: postgres, logger: logger, sealer: sealer)).addRoutes(
        to: router.group("v1/payouts").add(middleware: AuthenticationMiddleware(verifier: verifier)).add(middleware: idempotent))
    InsuranceController(insurance: InsuranceStore(client: postgres, logger: logger, escrow: escrow, sealer: sealer), core: core).addRoutes(
        to: router.group("v1/insurance").add(middleware: AuthenticationMiddleware(verifier: verifier)).add(middleware: idempotent))
    LoanController(loans: loans, core: core).addRoutes(
        to: router.group("v1/loans").add(middleware: AuthenticationMiddleware(verifier: verifier)).add(middleware: idempotent))
    DisputeController(disputes: DisputeStore(client: postgres, logger: logger, escrow: escrow)).addRoutes(
        to: router.group("v1/disputes").add(middleware: AuthenticationMiddleware(verifier: verifier)).add(middleware: idempotent))
    PaymentController(payments: payments, webhookSecret: config.paymongoWebhookSecret, liveMode: config.paymongoLiveMode).addRoutes(
        signedIn: router.group("v1/payments").add(middleware: AuthenticationMiddleware(verifier: verifier)).add(middleware: idempotent),
        webhook: router.group("v1/payments"))

    return serviceApplication(
        router: router, common: config.common, schema: "payment", migrations: try paymentMigrations(),
        postgres: postgres, services: [RedisService(redis)], afterMigration: [worker, relay], logger: logger)
}
