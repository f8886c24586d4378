import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/bookings`: a consumer asks a provider for a slot; the provider
/// accepts or rejects, starts and reports the work done; the consumer
/// confirms. Only the two of them (and admins) see a booking.
public struct BookingController<Context: ServiceRequestContext>: Sendable {
    let bookings: BookingStore
    let profiles: ProfileService
    let directory: ProviderDirectory
    let stats: DailyStats

    public init(bookings: BookingStore, profiles: ProfileService, directory: ProviderDirectory, stats: DailyStats) {
        self.bookings = bookings
        self.profiles = profiles
        self.directory = directory
        self.stats = stats
    }

    /// `group` requires a signed-in user.
    public func addRoutes(to group: RouterGroup<Context>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: show)
        group.put(":id", use: edit)
        // Withdrawing a request is cancelling it: the record stays for both sides.
        group.delete(":id", use: withdraw)
        group.put(":id/accept", use: move(.accept))
        group.put(":id/reject", use: move(.reject))
        group.put(":id/start", use: move(.start))
        group.put(":id/complete", use: move(.complete))
        group.put(":id/cancel", use: move(.cancel))
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Envelope<[BookingDTO]> {
        let identity = try context.requireIdentity()
        let query = request.uri.queryParameters
        let page = try request.pageRequest()
        var side: BookingStore.Side?
        if let raw = query.get("role") {
            guard let parsed = BookingStore.Side(rawValue: raw) else { throw APIError.validation("role", "Role must be consumer or provider") }
            side = parsed
        }
        var status: BookingStatus?
        if let raw = query.get("status") {
            guard let parsed = BookingStatus(rawValue: raw) else {
                throw APIError.validation("status", "Status must be one of \(BookingStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        let (items, total) = try await bookings.list(userId: identity.userId, side: side, status: status, page: page)
        return Envelope(items, page: page, total: total)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Envelope<BookingDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: BookingRequest.self, context: context)
        let fields = try BookingFields.validate(body, creating: true, now: Date())
        // The consumer's profile row (made now if the registration event lags).
        _ = try await profiles.profile(of: identity, requestId: context.requestId)
        let booking = try await bookings.create(consumerId: identity.userId, fields, requestId: context.requestId)
        await stats.count(.bookingsCreated)
        return Envelope(booking, status: .created)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<BookingDTO> {
        let identity = try context.requireIdentity()
        guard let booking = try await bookings.find(id: try Self.id(context), viewer: identity) else { throw APIError.notFound("No such booking") }
        return Envelope(booking)
    }

    @Sendable func edit(_ request: Request, context: Context) async throws -> Envelope<BookingDTO> {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        let body = try await request.decodeJSON(as: BookingRequest.self, context: context)
        let fields = try BookingFields.validate(body, creating: false, now: Date())
        return Envelope(try await bookings.apply(.edit, id: id, actor: identity, edit: fields, requestId: context.requestId))
    }

    @Sendable func withdraw(_ request: Request, context: Context) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try Self.id(context)
        _ = try await bookings.apply(.cancel, id: id, actor: identity, requestId: context.requestId)
        return Response(status: .noContent)
    }

    func move(_ move: BookingMove) -> @Sendable (Request, Context) async throws -> Envelope<BookingDTO> {
        { request, context in
            let identity = try context.requireIdentity()
            let id = try Self.id(context)
            let body = try await request.decodeOptionalJSON(as: BookingReasonRequest.self, default: BookingReasonRequest(), context: context)
            let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            if let reason, reason.count > 1000 { throw APIError.validation("reason", "Reason must be at most 1000 characters") }
            let booking = try await bookings.apply(move, id: id, actor: identity, reason: reason?.isEmpty == true ? nil : reason, requestId: context.requestId)
            // Completions and late cancellations change the provider's figures.
            if booking.status == .completed || booking.status == .cancelled { await directory.changed(booking.providerId) }
            if booking.status == .completed { await stats.count(.bookingsCompleted) }
            if booking.status == .cancelled { await stats.count(.bookingsCancelled) }
            return Envelope(booking)
        }
    }

    static func id(_ context: Context) throws -> UUID {
        try context.uuidParameter(what: "Booking id")
    }
}

/// `/internal/bookings/:id` and `/internal/providers/by-user/:userId`:
/// other services (payment) read a booking or a person's provider profile
/// with a service credential; the gateway never routes `/internal`.
public struct InternalBookingController<Context: ServiceRequestContext>: Sendable {
    let bookings: BookingStore
    let providers: ProviderStore

    public init(bookings: BookingStore, providers: ProviderStore) {
        self.bookings = bookings
        self.providers = providers
    }

    public func addRoutes(to group: RouterGroup<Context>) {
        group.get("bookings/:id", use: show)
        group.get("providers/by-user/:id", use: provider)
    }

    @Sendable func provider(_ request: Request, context: Context) async throws -> Envelope<ProviderDTO> {
        guard let provider = try await providers.find(userId: try context.uuidParameter(what: "User id")) else {
            throw APIError.notFound("No provider profile for this user")
        }
        return Envelope(provider)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<BookingDTO> {
        guard let booking = try await bookings.find(id: try context.uuidParameter(what: "Booking id")) else {
            throw APIError.notFound("No such booking")
        }
        return Envelope(booking)
    }
}
