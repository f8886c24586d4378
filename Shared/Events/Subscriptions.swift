import TrustTradeDTO

/// Who receives what: each event and the queues it is written to. The
/// producer publishes the event only (`OutboxWriter.publish`), one outbox row
/// per queue here; each queue's service registers one handler per event it
/// receives (`EventHandlers`). `SubscriptionTests` checks both sides agree and
/// `docs/architecture.md` shows this table (`EventTableTests` keeps it current).
public enum Subscriptions {
    public struct Entry: Sendable {
        public let event: any Event.Type
        public let queues: [EventQueue]
        /// The payload's type name (for the architecture document).
        public let payload: String
        public var name: String { event.name }

        init<E: Event>(_ event: E.Type, to queues: EventQueue...) {
            self.event = event
            self.queues = queues
            self.payload = String(describing: E.Payload.self)
        }
    }

    public static let table: [Entry] = [
        // Auth
        Entry(UserRegistered.self, to: .core, .notification),
        Entry(EmailRequested.self, to: .notification),
        // Core
        Entry(UserTypeChanged.self, to: .auth),
        Entry(ProviderChanged.self, to: .ai),
        Entry(ProviderDeleted.self, to: .ai),
        Entry(BookingCreated.self, to: .ai),
        // Escrow: paid for after acceptance, released on completion, refunded on cancellation.
        Entry(BookingAccepted.self, to: .payment, .ai),
        // Trust score: how a provider answers and finishes counts.
        Entry(BookingRejected.self, to: .ai),
        Entry(BookingStarted.self, to: .ai),
        Entry(BookingWorkDone.self, to: .ai),
        Entry(BookingCompleted.self, to: .payment, .ai),
        Entry(BookingCancelled.self, to: .payment, .ai),
        Entry(BookingExpired.self, to: .ai),
        Entry(BookingExpireDue.self, to: .core),
        Entry(BookingAutoCompleteDue.self, to: .core),
        Entry(ChatMessageSent.self, to: .ai),
        Entry(ReviewCreated.self, to: .ai),
        Entry(ReviewUpdated.self, to: .ai),
        Entry(ReviewDeleted.self, to: .ai),
        Entry(NotificationRequested.self, to: .notification),
        // AI
        Entry(TrustScoreChanged.self, to: .core),
        // Payment
        // Core lets the job start once the money is in escrow.
        Entry(EscrowHeld.self, to: .ai, .core),
        Entry(EscrowReleased.self, to: .ai),
        Entry(EscrowRefunded.self, to: .ai),
        // Core holds the booking's completion; the AI counts it against trust.
        Entry(DisputeOpened.self, to: .core, .ai),
        Entry(DisputeClosed.self, to: .core, .ai),
        Entry(PayMongoPaymentPaid.self, to: .payment),
        Entry(PayMongoPaymentFailed.self, to: .payment),
        Entry(PayMongoRefundUpdated.self, to: .payment),
        Entry(RefundRequested.self, to: .payment),
        Entry(LoanInstallmentDue.self, to: .payment),
        // File
        Entry(FileDeleted.self, to: .file),
    ]

    private static let byName: [String: [EventQueue]] = Dictionary(
        table.map { ($0.name, $0.queues) }, uniquingKeysWith: { a, _ in a })

    /// The queues that receive `E` (empty: nobody does).
    public static func queues<E: Event>(for _: E.Type) -> [EventQueue] {
        byName[E.name] ?? []
    }

    /// The queues that receive the event named `name`.
    public static func queues(forName name: String) -> [EventQueue] {
        byName[name] ?? []
    }

    /// The names of the events `queue` receives.
    public static func events(on queue: EventQueue) -> [String] {
        table.filter { $0.queues.contains(queue) }.map(\.name)
    }

    /// The table as Markdown, the event section of `docs/architecture.md`.
    public static func markdown() -> String {
        var lines = [
            "| Event (job name) | Type | Payload | Queues (consumers) |",
            "| --- | --- | --- | --- |",
        ]
        for entry in table {
            let queues = entry.queues.map { "`\($0.name)`" }.joined(separator: ", ")
            lines.append("| `\(entry.name)` | `\(entry.event)` | `\(entry.payload)` | \(queues) |")
        }
        lines.append("")
        lines.append("| Queue | Events it receives |")
        lines.append("| --- | --- |")
        for queue in EventQueue.allCases {
            lines.append("| `\(queue.name)` | \(events(on: queue).map { "`\($0)`" }.joined(separator: ", ")) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
