import Queue
import TrustTradeDTO
import TrustTradeEvents

/// One service's handlers of the events on its queue, one per event type.
/// Built once, without dependencies (so tests can list what a service
/// handles); `bind` gives it what the handlers use (stores, clients) and
/// returns what the queue's worker runs. A job no handler is registered for
/// fails for good (`UnrecoverableError`).
public struct EventHandlers<Context: Sendable>: Sendable {
    public typealias Handle = @Sendable (Context, JobContext) async throws -> Void

    public let queue: EventQueue
    private var handlers: [String: Handle] = [:]

    public init(queue: EventQueue) { self.queue = queue }

    /// Handles `E` with its envelope (data that is not one fails the job for good).
    public mutating func on<E: Event>(
        _: E.Type, _ handle: @escaping @Sendable (Context, EventEnvelope<E.Payload>) async throws -> Void
    ) {
        on(E.self, job: { context, job in try await handle(context, try job.job.event(E.Payload.self)) })
    }

    /// Handles `E` from the raw job (for handlers that read the data themselves).
    public mutating func on<E: Event>(_: E.Type, job handle: @escaping Handle) {
        precondition(handlers[E.name] == nil, "two handlers for \(E.name) on \(queue)")
        handlers[E.name] = handle
    }

    /// The names of the events handled, sorted.
    public var events: [String] { handlers.keys.sorted() }

    /// The worker's handler: dispatches each job by its name.
    public func bind(_ context: Context) -> @Sendable (JobContext) async throws -> String? {
        let handlers = self.handlers
        return { job in
            guard let handle = handlers[job.job.name] else { throw UnrecoverableError("no handler for job \(job.job.name)") }
            try await handle(context, job)
            return nil
        }
    }
}
