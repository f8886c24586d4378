import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// `payment.payouts`: asked for against the ledger balance, set aside at
/// once, sent or returned by an admin's decision.
public struct PayoutStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let sealer: Sealer
    let outbox = OutboxWriter(schema: "payment")

    public init(client: PostgresClient, logger: Logger, sealer: Sealer) {
        self.client = client
        self.logger = logger
        self.sealer = sealer
    }

    public enum Failure: Error, Equatable {
        case insufficient(available: Int64)
        case notFound
        case decided(String)
        /// The request key was used for a payout of another amount or account.
        case keyReused
    }

    /// `requestKey` (the client's Idempotency-Key) makes the request once:
    /// asked again with the same key, the payout made the first time is the
    /// answer.
    public func request(provider: UUID, _ f: PayoutFields, requestKey: String? = nil) async throws -> PayoutDTO {
        let sealed = ByteBuffer(bytes: try sealer.seal(f.destination.sealedText))
        // A loan's repayments that fell due come out first (kept even when
        // the payout is then refused).
        try await client.transaction(logger: logger) { connection in
            try await EscrowStore.lockBalance(of: provider, on: connection, logger: logger)
            _ = try await LoanStore.collectDue(provider: provider, now: Date(), requestId: nil, on: connection, logger: logger)
        }
        return try await client.transaction(logger: logger) { connection in
            // One request at a time per provider: the balance read is the balance spent.
            try await EscrowStore.lockBalance(of: provider, on: connection, logger: logger)
            if let requestKey, let earlier = try await Self.first(try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM payment.payouts WHERE provider_user_id = \(provider) AND request_key = \(requestKey)",
                logger: logger)) {
                guard earlier.amount == f.amount, earlier.destination == f.destination.hint, earlier.method == f.destination.method else {
                    throw Failure.keyReused
                }
                return earlier
            }
            let available = -(try await EscrowStore.ledgerSum(account: LedgerAccount.providerPayable(provider).description, on: connection, logger: logger))
            guard f.amount <= available else { throw Failure.insufficient(available: available) }
            let rows = try await connection.query(
                """
                INSERT INTO payment.payouts (provider_user_id, amount, method, destination_sealed, destination_hint, request_key)
                VALUES (\(provider), \(f.amount), \(f.destination.method), \(sealed), \(f.destination.hint), \(requestKey))
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            let payout = try await Self.first(rows)!
            try await EscrowStore.write(.reservePayout(f.amount, provider: provider), transaction: nil, on: connection, logger: logger)
            return payout
        }
    }

    /// An admin's decision, once: paid (the money leaves) or rejected (it
    /// returns to the balance).
    public func decide(id: UUID, approve: Bool, admin: UUID, note: String?, requestId: String?) async throws -> PayoutDTO {
        try await client.transaction(logger: logger) { connection in
            guard let current = try await Self.first(try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM payment.payouts WHERE id = \(id) FOR UPDATE", logger: logger))
            else { throw Failure.notFound }
            guard current.status == "requested" else { throw Failure.decided(current.status) }
            let rows = try await connection.query(
                """
                UPDATE payment.payouts SET status = \(approve ? "paid" : "rejected"), decided_by = \(admin), decided_at = now(), note = \(note)
                WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            let decided = try await Self.first(rows)!
            let posting: Posting = approve ? .sendPayout(current.amount, provider: current.providerUserId)
                : .returnPayout(current.amount, provider: current.providerUserId)
            try await EscrowStore.write(posting, transaction: nil, on: connection, logger: logger)
            if approve {
                let notice = NotifyUserRequest(userId: current.providerUserId, kind: .payoutSent, variables: [
                    "amount": Peso.format(current.amount), "destination": current.destination,
                ], data: ["payoutId": id.uuidString.lowercased()])
                try await outbox.publish(NotificationRequested(notice), requestId: requestId, on: connection, logger: logger)
            }
            return decided
        }
    }

    /// The account details, for the admin who sends the money.
    public func destination(id: UUID) async throws -> String? {
        let rows = try await client.query("SELECT destination_sealed FROM payment.payouts WHERE id = \(id)", logger: logger)
        for try await sealed in rows.decode(ByteBuffer.self) { return try sealer.open(Array(buffer: sealed)) }
        return nil
    }

    public func list(provider: UUID?, page: PageRequest) async throws -> ([PayoutDTO], Int) {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns), count(*) OVER ()::int AS total FROM payment.payouts
            WHERE \(provider)::uuid IS NULL OR provider_user_id = \(provider)
            ORDER BY created_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
            """, logger: logger)
        return try await rows.page { try Self.payout(from: $0) }
    }

    public func balance(provider: UUID) async throws -> BalanceDTO {
        try await client.withConnection { connection in
            let available = -(try await EscrowStore.ledgerSum(account: LedgerAccount.providerPayable(provider).description, on: connection, logger: logger))
            let pending = -(try await EscrowStore.ledgerSum(account: LedgerAccount.payoutsPending(provider).description, on: connection, logger: logger))
            return BalanceDTO(available: available, pendingPayouts: pending)
        }
    }

    static let columns = "id, provider_user_id, amount, method, destination_hint, status, note, created_at, decided_at"

    static func first(_ rows: PostgresRowSequence) async throws -> PayoutDTO? {
        for try await row in rows { return try payout(from: row) }
        return nil
    }

    static func payout(from row: PostgresRow) throws -> PayoutDTO {
        let (id, provider, amount, method, hint, status, note, created, decided) =
            try row.decode((UUID, UUID, Int64, String, String, String, String?, Date, Date?).self)
        return PayoutDTO(id: id, providerUserId: provider, amount: amount, method: method, destination: hint, status: status, note: note,
                         createdAt: ISO8601.string(from: created), decidedAt: decided.map(ISO8601.string(from:)))
    }
}
