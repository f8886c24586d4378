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

    let worker = QueueWorker(queue: "payment", redis: redis, options: config.common.workerOptions(concurrency: config.workerConcurrency), logger: logger) { job in
        switch job.job.name {
        case EventType.paymongoPaymentPaid, EventType.paymongoPaymentFailed:
            let event = try job.job.event(PayMongoPaymentEvent.self)
            try await payments.handle(event.payload, requestId: event.requestId)
        case EventType.paymongoRefundUpdated:
            try await payments.refundUpdated(try job.job.event(PayMongoRefundEvent.self).payload)
        case EventType.loanInstallmentDue:
            let event = try job.job.event(LoanInstallmentDue.self)
            try await loans.collect(loanId: event.payload.loanId, requestId: event.requestId)
        case EventType.paymongoRefundRequested:
            try await payments.sendRefund(try job.job.event(RefundRequested.self).payload.refundId)
        default:
            try await bookingEvents.handle(job.job)
        }
        return nil
    }
    let relay = OutboxRelay(schema: "payment", postgres: postgres, logger: logger) { name in JobQueue(name: name, redis: redis) }

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

/// What the booking's life means for its money (the `payment` queue).
public struct BookingEventHandler: Sendable {
    let escrow: EscrowStore
    let logger: Logger

    public func handle(_ job: Job) async throws {
        switch job.name {
        case EventType.bookingAccepted:
            // The escrow the consumer will pay into.
            let event = try job.event(BookingEvent.self)
            do {
                _ = try await escrow.open(for: event.payload.booking)
            } catch EscrowStore.Failure.badAmount {
                throw UnrecoverableError("booking \(event.payload.booking.id) has an amount escrow cannot take")
            }
        case EventType.bookingCompleted:
            let event = try job.event(BookingEvent.self)
            try await settle(event.payload.booking.id, move: .release, requestId: event.requestId)
        case EventType.bookingCancelled:
            let event = try job.event(BookingEvent.self)
            try await settle(event.payload.booking.id, move: .refund(nil), requestId: event.requestId)
        default:
            throw UnrecoverableError("no handler for job \(job.name)")
        }
    }

    /// Release or refund the booking's escrow; one never paid is called off.
    func settle(_ bookingId: UUID, move: EscrowMove, requestId: String?) async throws {
        guard let t = try await escrow.find(bookingId: bookingId) else { return }
        let next: EscrowMove = t.escrowStatus == EscrowStatus.pending.rawValue ? .cancel : move
        do {
            _ = try await escrow.apply(next, id: t.id, requestId: requestId)
        } catch EscrowStore.Failure.move(.illegal) {
            // Already settled (a repeated event, or an admin was first): nothing to do.
        } catch EscrowStore.Failure.move(.disputed) {
            logger.info("release held by an open dispute", metadata: ["transactionId": .string(t.id.uuidString)])
        }
    }
}
