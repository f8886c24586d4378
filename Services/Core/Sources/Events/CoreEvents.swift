import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// What the core service does with the events on its queue (`core`): new
/// accounts, its own booking timers, trust scores, escrow and disputes.
public enum CoreEvents {
    public struct Context: Sendable {
        let profiles: ProfileService
        let bookings: BookingStore
        let providers: ProviderStore
        let directory: ProviderDirectory
    }

    public static let handlers: EventHandlers<Context> = {
        var h = EventHandlers<Context>(queue: .core)
        h.on(UserRegistered.self) { c, event in try await c.profiles.handleRegistered(event.payload) }
        h.on(BookingExpireDue.self) { c, event in try await timerFired(.expire, event, c) }
        h.on(BookingAutoCompleteDue.self) { c, event in try await timerFired(.autoComplete, event, c) }
        h.on(TrustScoreChanged.self) { c, event in
            if try await c.providers.setTrustScore(providerId: event.payload.providerId, score: event.payload.score) {
                await c.directory.changed(event.payload.providerId)
            }
        }
        h.on(EscrowHeld.self) { c, event in try await c.bookings.markPaid(id: event.payload.transaction.bookingId) }
        h.on(DisputeOpened.self) { c, event in try await disputed(event, c) }
        h.on(DisputeClosed.self) { c, event in try await disputed(event, c) }
        return h
    }()

    static func timerFired(_ move: BookingMove, _ event: EventEnvelope<BookingDue>, _ c: Context) async throws {
        do {
            let booking = try await c.bookings.apply(move, id: event.payload.bookingId, actor: nil, requestId: event.requestId)
            if booking.status == .completed { await c.directory.changed(booking.providerId) }
        } catch BookingStore.Failure.move, BookingStore.Failure.notFound {
            // Answered, moved or disputed since the timer was set: nothing to do.
        }
        // A timer that fires early (`Failure.notDue`) fails this run and
        // is retried with the job's backoff until it is due.
    }

    static func disputed(_ event: EventEnvelope<BookingDisputeEvent>, _ c: Context) async throws {
        try await c.bookings.setDisputed(id: event.payload.bookingId, open: event.payload.open, requestId: event.requestId)
    }
}
