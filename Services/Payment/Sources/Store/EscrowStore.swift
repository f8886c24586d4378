import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// `payment.transactions` and the ledger. Every move locks the escrow row,
/// asks the state machine, and writes the new state, its balanced posting
/// and its events in one transaction: racing or repeated requests make the
/// move once; the others see the new state.
public struct EscrowStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let fees: FeePolicy
    let appBaseURL: String
    let outbox = OutboxWriter(schema: "payment")

    public init(client: PostgresClient, logger: Logger, fees: FeePolicy, appBaseURL: String) {
        self.client = client
        self.logger = logger
        self.fees = fees
        self.appBaseURL = appBaseURL
    }

    public enum Failure: Error, Equatable {
        case notFound
        case move(EscrowError)
        case badAmount
    }

    /// The escrow of an accepted booking; the same booking always gets the
    /// same one (the event and the consumer's request may race).
    public func open(for booking: BookingDTO) async throws -> TransactionDTO {
        let amount = booking.estimatedTotal
        guard (PaymentLimits.minimumCentavos...PaymentLimits.maximumCentavos).contains(amount) else { throw Failure.badAmount }
        let fee = fees.fee(on: amount)
        try await client.query(
            """
            INSERT INTO payment.transactions (booking_id, consumer_id, provider_id, provider_user_id, service_title, amount, platform_fee, provider_amount)
            VALUES (\(booking.id), \(booking.consumerId), \(booking.providerId), \(booking.providerUserId), \(booking.title), \(amount), \(fee),
                    \(amount - fee))
            ON CONFLICT (booking_id) DO NOTHING
            """, logger: logger)
        guard let opened = try await Self.first(try await client.query(
            "SELECT \(unescaped: Self.columns) FROM payment.transactions WHERE booking_id = \(booking.id)", logger: logger))
        else { throw Failure.notFound }
        return opened
    }

    public func find(id: UUID) async throws -> TransactionDTO? {
        try await Self.first(try await client.query(
            "SELECT \(unescaped: Self.columns) FROM payment.transactions WHERE id = \(id)", logger: logger))
    }

    public func find(bookingId: UUID) async throws -> TransactionDTO? {
        try await Self.first(try await client.query(
            "SELECT \(unescaped: Self.columns) FROM payment.transactions WHERE booking_id = \(bookingId)", logger: logger))
    }

    /// The caller's transactions (as consumer or provider), newest first.
    public func list(userId: UUID, page: PageRequest) async throws -> ([TransactionDTO], Int) {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns), count(*) OVER ()::int AS total FROM payment.transactions
            WHERE consumer_id = \(userId) OR provider_user_id = \(userId)
            ORDER BY created_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
            """, logger: logger)
        return try await rows.page { try Self.transaction(from: $0) }
    }

    /// Makes the move once. `method`: how it was paid (on hold).
    public func apply(_ move: EscrowMove, id: UUID, method: String? = nil, requestId: String?) async throws -> TransactionDTO {
        try await client.transaction(logger: logger) { connection in
            try await apply(move, id: id, method: method, requestId: requestId, on: connection)
        }
    }

    /// The move inside the caller's transaction (a dispute's resolution
    /// makes several at once).
    func apply(_ move: EscrowMove, id: UUID, method: String?, requestId: String?, on connection: PostgresConnection) async throws -> TransactionDTO {
        guard let current = try await Self.first(try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM payment.transactions WHERE id = \(id) FOR UPDATE", logger: logger))
        else { throw Failure.notFound }
        let state = EscrowState(
            status: EscrowStatus(rawValue: current.escrowStatus) ?? .pending, amount: current.amount,
            refunded: current.refundedAmount, disputed: current.disputed)
        let effect: EscrowEffect
        switch Result(catching: { () throws(EscrowError) in try EscrowMachine.apply(move, to: state) }) {
        case .success(let e): effect = e
        case .failure(let error): throw Failure.move(error)
        }
        var posting: Posting?
        var releasedFee: Int64 = 0
        var premium: Int64 = 0
        switch move {
        case .hold:
            posting = .hold(current.amount, transaction: id)
        case .release:
            // The fee is on what is released (after any partial refund);
            // the job's cover, if bought, is paid for out of the rest.
            releasedFee = fees.fee(on: effect.release)
            premium = try await InsuranceStore.chargePremium(transaction: id, upTo: effect.release - releasedFee, on: connection, logger: logger)
            posting = .release(effect.release, fee: releasedFee, premium: premium, transaction: id, provider: current.providerUserId)
        case .refund:
            posting = .refund(effect.refund, transaction: id)
        case .cancel:
            posting = nil
        }
        let rows = try await connection.query(
            """
            UPDATE payment.transactions SET
                escrow_status = \(effect.status.rawValue),
                refunded_amount = refunded_amount + \(effect.refund),
                released_amount = released_amount + \(effect.release),
                released_fee = released_fee + \(releasedFee),
                payment_method = COALESCE(\(method), payment_method),
                held_at = CASE WHEN \(effect.status.rawValue) = 'held' AND held_at IS NULL THEN now() ELSE held_at END,
                released_at = CASE WHEN \(effect.release) > 0 THEN now() ELSE released_at END,
                refunded_at = CASE WHEN \(effect.refund) > 0 THEN now() ELSE refunded_at END,
                updated_at = now()
            WHERE id = \(id) RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        let updated = try await Self.first(rows)!
        if effect.status == .cancelled || effect.status == .refunded {
            // No work was paid for: the job's cover lapses, never charged.
            try await InsuranceStore.void(transaction: id, on: connection, logger: logger)
        }
        if let posting { try await Self.write(posting, transaction: id, on: connection, logger: logger) }
        if effect.refund > 0 {
            // The money goes back at PayMongo too: recorded now, sent by the queue.
            let rows = try await connection.query(
                """
                INSERT INTO payment.refunds (transaction_id, provider_payment_id, amount)
                SELECT \(id), (SELECT provider_payment_id FROM payment.payments
                               WHERE transaction_id = \(id) AND status = 'succeeded' ORDER BY updated_at DESC LIMIT 1), \(effect.refund)
                RETURNING id
                """, logger: logger)
            for try await refundId in rows.decode(UUID.self) {
                try await outbox.publish(RefundRequested(refundId: refundId), requestId: requestId, on: connection, logger: logger)
            }
        }
        let event: (any EscrowMovementEvent.Type)? = switch move {
        case .hold: EscrowHeld.self
        case .release: EscrowReleased.self
        case .refund: EscrowRefunded.self
        case .cancel: nil
        }
        if let event {
            let moved = effect.release + effect.refund
            let movement = event.init(EscrowEvent(transaction: updated, movedAmount: moved))
            try await outbox.publish(movement, requestId: requestId, on: connection, logger: logger)
            for notice in EscrowNotices.notices(for: updated, event: event.name, moved: moved, deducted: releasedFee + premium, appBaseURL: appBaseURL) {
                try await outbox.publish(NotificationRequested(notice), requestId: requestId, on: connection, logger: logger)
            }
        }
        return updated
    }

    /// Writes a posting's lines; the database checks the balance at commit.
    static func write(_ posting: Posting, transaction: UUID?, on connection: PostgresConnection, logger: Logger) async throws {
        let postingId = UUID()
        for line in posting.lines {
            try await connection.query(
                """
                INSERT INTO payment.ledger_entries (posting_id, kind, account, transaction_id, amount)
                VALUES (\(postingId), \(posting.kind.rawValue), \(line.account.description), \(transaction), \(line.amount))
                """, logger: logger)
        }
    }

    // MARK: Balances

    /// Takes turns on a provider's balance until the transaction ends: what
    /// is read of it is what is spent (payouts, loan repayments).
    static func lockBalance(of provider: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("balance:" + provider.uuidString.lowercased())))", logger: logger)
    }

    /// A provider's available balance: what the platform owes them.
    public func availableBalance(providerUserId: UUID) async throws -> Int64 {
        -(try await sum(account: LedgerAccount.providerPayable(providerUserId).description))
    }

    /// The ledger's sum over `account` (nil: every account, which is 0).
    public func sum(account: String? = nil) async throws -> Int64 {
        try await client.withConnection { try await Self.ledgerSum(account: account, on: $0, logger: logger) }
    }

    static func ledgerSum(account: String?, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await connection.query(
            "SELECT COALESCE(sum(amount), 0)::bigint FROM payment.ledger_entries WHERE \(account)::text IS NULL OR account = \(account)",
            logger: logger)
        for try await total in rows.decode(Int64.self) { return total }
        return 0
    }

    // MARK: Rows

    static let columns = """
        id, booking_id, consumer_id, provider_id, provider_user_id, service_title, amount, platform_fee, provider_amount, refunded_amount, \
        released_amount, escrow_status, disputed, payment_method, payment_provider, created_at, held_at, released_at, refunded_at
        """

    static func first(_ rows: PostgresRowSequence) async throws -> TransactionDTO? {
        for try await row in rows { return try transaction(from: row) }
        return nil
    }

    static func transaction(from row: PostgresRow) throws -> TransactionDTO {
        var cells = row.makeIterator()
        func next<T: PostgresDecodable>(_: T.Type) throws -> T { try cells.next()!.decode(T.self) }
        func time() throws -> String? { try next(Date?.self).map(ISO8601.string(from:)) }
        return TransactionDTO(
            id: try next(UUID.self), bookingId: try next(UUID.self), consumerId: try next(UUID.self), providerId: try next(UUID.self),
            providerUserId: try next(UUID.self), serviceTitle: try next(String.self), amount: try next(Int64.self), platformFee: try next(Int64.self),
            providerAmount: try next(Int64.self), refundedAmount: try next(Int64.self), releasedAmount: try next(Int64.self),
            escrowStatus: try next(String.self), disputed: try next(Bool.self), paymentMethod: try next(String?.self),
            paymentProvider: try next(String.self), createdAt: ISO8601.string(from: try next(Date.self)),
            heldAt: try time(), releasedAt: try time(), refundedAt: try time())
    }
}
