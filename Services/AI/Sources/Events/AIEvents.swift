import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// What the AI service does with the events on its queue (`ai`): its read
/// model of providers, bookings, reviews and disputes feeds the trust score;
/// chat messages are screened for risks.
public enum AIEvents {
    public struct Context: Sendable {
        let trust: TrustStore
        let moderation: ModerationStore
    }

    public static let handlers: EventHandlers<Context> = {
        var h = EventHandlers<Context>(queue: .ai)
        h.on(ChatMessageSent.self) { c, event in try await c.moderation.screen(event) }
        h.on(ProviderChanged.self) { c, event in try await c.trust.provider(event) }
        h.on(ProviderDeleted.self) { c, event in try await c.trust.provider(event) }
        for booking: any BookingLifecycleEvent.Type in [
            BookingCreated.self, BookingAccepted.self, BookingRejected.self, BookingStarted.self, BookingWorkDone.self,
            BookingCompleted.self, BookingCancelled.self, BookingExpired.self,
        ] {
            h.onBooking(booking)
        }
        h.on(ReviewCreated.self) { c, event in try await c.trust.review(event, deleted: false) }
        h.on(ReviewUpdated.self) { c, event in try await c.trust.review(event, deleted: false) }
        h.on(ReviewDeleted.self) { c, event in try await c.trust.review(event, deleted: true) }
        h.on(DisputeOpened.self) { c, event in try await c.trust.dispute(event) }
        h.on(DisputeClosed.self) { c, event in try await c.trust.dispute(event) }
        // Escrow events carry nothing the score reads (yet): taken and done.
        h.on(EscrowHeld.self, job: { _, _ in })
        h.on(EscrowReleased.self, job: { _, _ in })
        h.on(EscrowRefunded.self, job: { _, _ in })
        return h
    }()
}

extension EventHandlers where Context == AIEvents.Context {
    fileprivate mutating func onBooking<E: BookingLifecycleEvent>(_: E.Type) {
        on(E.self) { c, event in try await c.trust.booking(event) }
    }
}
