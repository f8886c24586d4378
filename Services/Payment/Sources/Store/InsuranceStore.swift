import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// `payment.insurance_policies` and `payment.insurance_claims`: job cover a
/// provider buys for a booking (charged at release), claims the customer
/// files, and an admin's decision that pays them from the cover pool.
public struct InsuranceStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let escrow: EscrowStore
    let sealer: Sealer
    let outbox = OutboxWriter(schema: "payment")

    public init(client: PostgresClient, logger: Logger, escrow: EscrowStore, sealer: Sealer) {
        self.client = client
        self.logger = logger
        self.escrow = escrow
        self.sealer = sealer
    }

    public enum Failure: Error, Equatable {
        case notFound
        /// Only the customer claims.
        case notClaimant
        /// The escrow is past the point where cover can start.
        case notInsurable(String)
        case alreadyCovered
        /// The premium is more than the provider receives for the job.
        case premiumOverShare(Int64)
        case claim(InsuranceClaimRule.Refusal)
        case claimOpen
        case decided(String)
    }

    /// Buys `plan` for the provider's accepted booking, once per booking.
    public func buy(_ plan: InsurancePlan, booking: BookingDTO, now: Date = Date()) async throws -> InsurancePolicyDTO {
        let opened = try await escrow.open(for: booking)
        let end = ISO8601.date(from: booking.scheduledEnd) ?? now
        let quote = InsuranceQuote.quote(plan, bookingAmount: opened.amount, jobEnds: end, now: now)
        guard quote.premium <= opened.providerAmount else { throw Failure.premiumOverShare(quote.premium) }
        return try await client.transaction(logger: logger) { connection in
            guard let t = try await EscrowStore.first(try await connection.query(
                "SELECT \(unescaped: EscrowStore.columns) FROM payment.transactions WHERE id = \(opened.id) FOR NO KEY UPDATE", logger: logger))
            else { throw Failure.notFound }
            guard t.escrowStatus == EscrowStatus.pending.rawValue || t.escrowStatus == EscrowStatus.held.rawValue else {
                throw Failure.notInsurable(t.escrowStatus)
            }
            let rows = try await connection.query(
                """
                INSERT INTO payment.insurance_policies (policy_number, transaction_id, booking_id, provider_id, provider_user_id, consumer_id, plan,
                    coverage_amount, premium, valid_from, valid_until)
                VALUES (\(Self.policyNumber(now)), \(t.id), \(t.bookingId), \(t.providerId), \(t.providerUserId), \(t.consumerId), \(plan.rawValue),
                    \(quote.coverage), \(quote.premium), \(quote.validFrom), \(quote.validUntil))
                ON CONFLICT (transaction_id) DO NOTHING
                RETURNING \(unescaped: Self.policyColumns)
                """, logger: logger)
            guard let policy = try await Self.firstPolicy(rows, now: now) else { throw Failure.alreadyCovered }
            return policy
        }
    }

    /// "TTI-20261125-4F0C9A1B": the date and eight random hex digits.
    static func policyNumber(_ now: Date) -> String {
        let day = ISO8601.string(from: now).prefix(10).replacingOccurrences(of: "-", with: "")
        let random = (0..<4).map { _ in String(format: "%02X", UInt8.random(in: 0...255)) }.joined()
        return "TTI-\(day)-\(random)"
    }

    /// The policy, for the booking's two people or an admin.
    public func policy(id: UUID, viewer: Identity, now: Date = Date()) async throws -> InsurancePolicyDTO? {
        try await Self.firstPolicy(try await client.query(
            """
            SELECT \(unescaped: Self.policyColumns) FROM payment.insurance_policies
            WHERE id = \(id) AND (\(viewer.isAdmin) OR provider_user_id = \(viewer.userId) OR consumer_id = \(viewer.userId))
            """, logger: logger), now: now)
    }

    /// The viewer's policies (bought, or covering their bookings); all for admins.
    public func policies(viewer: Identity, page: PageRequest, now: Date = Date()) async throws -> ([InsurancePolicyDTO], Int) {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.policyColumns), count(*) OVER ()::int AS total FROM payment.insurance_policies
            WHERE \(viewer.isAdmin) OR provider_user_id = \(viewer.userId) OR consumer_id = \(viewer.userId)
            ORDER BY created_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
            """, logger: logger)
        return try await rows.page { try Self.policy(from: $0, now: now) }
    }

    // MARK: Claims

    /// The customer's claim on a policy in force, one open at a time.
    public func fileClaim(policyId: UUID, claimant: UUID, amount: Int64, description: String, destination: BankDestination,
                          now: Date = Date()) async throws -> InsuranceClaimDTO {
        let sealed = ByteBuffer(bytes: try sealer.seal(destination.sealedText))
        do {
            return try await client.transaction(logger: logger) { connection in
                guard let policy = try await Self.firstPolicy(try await connection.query(
                    "SELECT \(unescaped: Self.policyColumns) FROM payment.insurance_policies WHERE id = \(policyId) FOR NO KEY UPDATE",
                    logger: logger), now: now)
                else { throw Failure.notFound }
                guard policy.consumerId == claimant else {
                    throw policy.providerUserId == claimant ? Failure.notClaimant : Failure.notFound
                }
                if case .failure(let refusal) = Result(catching: { () throws(InsuranceClaimRule.Refusal) in
                    try InsuranceClaimRule.check(
                        amount: amount, coverage: policy.coverage, alreadyPaid: policy.claimedAmount, policyActive: policy.status != "void",
                        validUntil: ISO8601.date(from: policy.validUntil) ?? now, now: now)
                }) {
                    throw Failure.claim(refusal)
                }
                let rows = try await connection.query(
                    """
                    INSERT INTO payment.insurance_claims (policy_id, claimant_id, amount, description, destination_sealed, destination_hint)
                    VALUES (\(policyId), \(claimant), \(amount), \(description), \(sealed), \(destination.hint))
                    RETURNING \(unescaped: Self.claimColumns)
                    """, logger: logger)
                return try await Self.firstClaim(rows)!
            }
        } catch let error as PSQLError where error.isUniqueViolation {
            throw Failure.claimOpen
        }
    }

    /// An admin's decision, once. Approved: `amount` (default: what was
    /// claimed, never more, never past the cover left) goes to the
    /// claimant's account from the cover pool.
    public func decideClaim(id: UUID, approve: Bool, amount: Int64?, admin: UUID, note: String?, requestId: String? = nil) async throws -> InsuranceClaimDTO {
        try await client.transaction(logger: logger) { connection in
            guard let claim = try await Self.firstClaim(try await connection.query(
                "SELECT \(unescaped: Self.claimColumns) FROM payment.insurance_claims WHERE id = \(id) FOR UPDATE", logger: logger))
            else { throw Failure.notFound }
            guard claim.status == "open" else { throw Failure.decided(claim.status) }
            var paid: Int64?
            if approve {
                let rows = try await connection.query(
                    """
                    SELECT coverage_amount - claimed_amount, policy_number, status FROM payment.insurance_policies
                    WHERE id = \(claim.policyId) FOR NO KEY UPDATE
                    """, logger: logger)
                var left: Int64 = 0
                var policyNumber = "", policyStatus = ""
                for try await (l, number, status) in rows.decode((Int64, String, String).self) { (left, policyNumber, policyStatus) = (l, number, status) }
                // Cover that lapsed (the booking was refunded whole) pays nothing.
                guard policyStatus == "active" else { throw Failure.claim(.notInForce) }
                let pay = amount ?? claim.amount
                guard pay > 0, pay <= min(claim.amount, left) else { throw Failure.claim(.overCover(left: min(claim.amount, left))) }
                try await connection.query(
                    "UPDATE payment.insurance_policies SET claimed_amount = claimed_amount + \(pay) WHERE id = \(claim.policyId)", logger: logger)
                try await EscrowStore.write(.payClaim(pay), transaction: nil, on: connection, logger: logger)
                paid = pay
                let notice = NotifyUserRequest(userId: claim.claimantId, kind: .claimPaid, variables: [
                    "amount": Peso.format(pay), "policyNumber": policyNumber, "destination": claim.destination,
                ], data: ["claimId": id.uuidString.lowercased(), "policyId": claim.policyId.uuidString.lowercased()])
                try await outbox.publish(NotificationRequested(notice), requestId: requestId, on: connection, logger: logger)
            }
            let rows = try await connection.query(
                """
                UPDATE payment.insurance_claims SET status = \(approve ? "paid" : "rejected"), paid_amount = \(paid), decided_by = \(admin),
                    decided_at = now(), note = \(note)
                WHERE id = \(id) RETURNING \(unescaped: Self.claimColumns)
                """, logger: logger)
            return try await Self.firstClaim(rows)!
        }
    }

    public func claim(id: UUID, viewer: Identity) async throws -> InsuranceClaimDTO? {
        try await Self.firstClaim(try await client.query(
            """
            SELECT \(unescaped: Self.claimColumns) FROM payment.insurance_claims
            WHERE id = \(id) AND (\(viewer.isAdmin) OR claimant_id = \(viewer.userId))
            """, logger: logger))
    }

    /// Admins: the claims waiting for a decision, oldest first; others: their own.
    public func claims(viewer: Identity, page: PageRequest) async throws -> ([InsuranceClaimDTO], Int) {
        let admin = viewer.isAdmin
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.claimColumns), count(*) OVER ()::int AS total FROM payment.insurance_claims
            WHERE (\(admin) AND status = 'open') OR (NOT \(admin) AND claimant_id = \(viewer.userId))
            ORDER BY CASE WHEN \(admin) THEN created_at END ASC, created_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
            """, logger: logger)
        return try await rows.page { try Self.claim(from: $0) }
    }

    /// The account to pay a claim to (admins).
    public func claimDestination(id: UUID) async throws -> String? {
        let rows = try await client.query("SELECT destination_sealed FROM payment.insurance_claims WHERE id = \(id)", logger: logger)
        for try await sealed in rows.decode(ByteBuffer.self) { return try sealer.open(Array(buffer: sealed)) }
        return nil
    }

    // MARK: Inside the escrow's moves

    /// At release: the premium still owed, at most `upTo` (what the provider
    /// receives), recorded as charged. 0 without cover.
    static func chargePremium(transaction: UUID, upTo: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await connection.query(
            """
            UPDATE payment.insurance_policies i SET premium_charged = i.premium_charged + LEAST(owed.amount, \(max(0, upTo)))
            FROM (SELECT id, premium - premium_charged AS amount FROM payment.insurance_policies
                  WHERE transaction_id = \(transaction) AND status = 'active') owed
            WHERE i.id = owed.id
            RETURNING LEAST(owed.amount, \(max(0, upTo)))::bigint
            """, logger: logger)
        var charged: Int64 = 0
        for try await amount in rows.decode(Int64.self) { charged = amount }
        return charged
    }

    /// The escrow was called off or refunded whole: cover that paid nothing
    /// out lapses uncharged.
    static func void(transaction: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE payment.insurance_policies SET status = 'void'
            WHERE transaction_id = \(transaction) AND status = 'active' AND premium_charged = 0 AND claimed_amount = 0
                AND NOT EXISTS (SELECT 1 FROM payment.insurance_claims c
                                WHERE c.policy_id = payment.insurance_policies.id AND c.status = 'open')
            """, logger: logger)
    }

    // MARK: Rows

    static let policyColumns = """
        id, policy_number, transaction_id, booking_id, provider_user_id, consumer_id, plan, coverage_amount, premium, premium_charged, \
        claimed_amount, status, valid_from, valid_until, created_at
        """

    static func firstPolicy(_ rows: PostgresRowSequence, now: Date) async throws -> InsurancePolicyDTO? {
        for try await row in rows { return try policy(from: row, now: now) }
        return nil
    }

    static func policy(from row: PostgresRow, now: Date) throws -> InsurancePolicyDTO {
        var cells = row.makeIterator()
        func next<T: PostgresDecodable>(_: T.Type) throws -> T { try cells.next()!.decode(T.self) }
        let (id, number, t, b, provider, consumer, plan) =
            (try next(UUID.self), try next(String.self), try next(UUID.self), try next(UUID.self), try next(UUID.self), try next(UUID.self),
             try next(String.self))
        let (coverage, premium, charged, claimed, status) = (try next(Int64.self), try next(Int64.self), try next(Int64.self), try next(Int64.self),
                                                             try next(String.self))
        let (from, until, created) = (try next(Date.self), try next(Date.self), try next(Date.self))
        return InsurancePolicyDTO(
            id: id, policyNumber: number, transactionId: t, bookingId: b, providerUserId: provider, consumerId: consumer, plan: plan,
            coverage: coverage, premium: premium, premiumCharged: charged, claimedAmount: claimed,
            status: status == "active" && until < now ? "expired" : status,
            validFrom: ISO8601.string(from: from), validUntil: ISO8601.string(from: until), createdAt: ISO8601.string(from: created))
    }

    static let claimColumns = "id, policy_id, claimant_id, amount, description, destination_hint, status, paid_amount, note, created_at, decided_at"

    static func firstClaim(_ rows: PostgresRowSequence) async throws -> InsuranceClaimDTO? {
        for try await row in rows { return try claim(from: row) }
        return nil
    }

    static func claim(from row: PostgresRow) throws -> InsuranceClaimDTO {
        var cells = row.makeIterator()
        func next<T: PostgresDecodable>(_: T.Type) throws -> T { try cells.next()!.decode(T.self) }
        return InsuranceClaimDTO(
            id: try next(UUID.self), policyId: try next(UUID.self), claimantId: try next(UUID.self), amount: try next(Int64.self),
            description: try next(String.self), destination: try next(String.self), status: try next(String.self), paidAmount: try next(Int64?.self),
            note: try next(String?.self), createdAt: ISO8601.string(from: try next(Date.self)), decidedAt: try next(Date?.self).map(ISO8601.string(from:)))
    }
}
