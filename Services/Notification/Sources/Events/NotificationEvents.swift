import Queue
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// What the notification service does with the jobs on its queue
/// (`notification`): security mail, welcome messages, and every
/// `notification.requested` (through the outbox, or straight from the
/// internal API with the bare request as data: the dispatcher reads both).
public enum NotificationEvents {
    public typealias Context = NotificationDispatcher

    public static let handlers: EventHandlers<Context> = {
        var h = EventHandlers<Context>(queue: .notification)
        h.on(EmailRequested.self, job: deliver)
        h.on(UserRegistered.self, job: deliver)
        h.on(NotificationRequested.self, job: deliver)
        return h
    }()

    @Sendable static func deliver(_ dispatcher: NotificationDispatcher, _ job: JobContext) async throws {
        do {
            try await dispatcher.handle(name: job.job.name, json: job.job.data, jobId: job.job.id, logger: job.logger)
        } catch DeliveryError.permanent(let reason) {
            // A provider refused for good (bad address, ...): no point retrying.
            throw UnrecoverableError(reason)
        } catch let error as DecodingError {
            throw UnrecoverableError("job data is not what \(job.job.name) carries: \(error)")
        } catch let error as NotificationDispatcher.UnknownJob {
            throw UnrecoverableError(error.description)
        }
    }
}
