import TrustTradeDTO

/// Something that happened in one service that other services act on. The
/// type ties the job name on the wire (`name`, e.g. `booking.accepted`) to
/// the payload it carries; where it goes is `Subscriptions.table`.
///
/// On the wire an event is the job `name` whose data is
/// `EventEnvelope<Payload>` (BullMQ-compatible, read by other processes too).
public protocol Event: Sendable {
    associatedtype Payload: Codable & Sendable
    /// The job name on the queue.
    static var name: String { get }
    var payload: Payload { get }
    init(_ payload: Payload)
}

extension Event {
    /// The envelope written to the outbox (one per receiving queue, each with its own id).
    public func envelope(requestId: String?) -> EventEnvelope<Payload> {
        EventEnvelope(type: Self.name, requestId: requestId, payload: payload)
    }
}

/// An event whose payload type is the event itself (payloads that exist only
/// to be this one event).
extension Event where Payload == Self {
    public var payload: Self { self }
    public init(_ payload: Self) { self = payload }
}

/// The queues events travel on, one per consuming service (its worker's queue).
public enum EventQueue: String, CaseIterable, Sendable, Comparable {
    case auth, core, payment, notification, file, ai

    public var name: String { rawValue }

    public static func < (a: EventQueue, b: EventQueue) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
