import CoreService
import Foundation
import TrustTradeDTO
import XCTest

final class BookingMachineTests: XCTestCase {
    func testTheHappyPathAndWhoMayMakeEachMove() throws {
        XCTAssertEqual(try BookingMachine.apply(.accept, by: .provider, to: .init(status: .pending)).to, .accepted)
        XCTAssertEqual(try BookingMachine.apply(.start, by: .provider, to: .init(status: .accepted, paid: true)).to, .inProgress)
        XCTAssertThrowsError(try BookingMachine.apply(.start, by: .provider, to: .init(status: .accepted))) {
            XCTAssertEqual($0 as? BookingMoveError, .unpaid, "not before the money is in escrow")
        }
        let done = try BookingMachine.apply(.complete, by: .provider, to: .init(status: .inProgress))
        XCTAssertEqual(done, BookingTransition(to: .inProgress, marksWorkDone: true))
        XCTAssertEqual(try BookingMachine.apply(.complete, by: .consumer, to: .init(status: .inProgress, workDone: true)).to, .completed)

        XCTAssertThrowsError(try BookingMachine.apply(.accept, by: .consumer, to: .init(status: .pending))) {
            XCTAssertEqual($0 as? BookingMoveError, .notYours(.accept, .consumer))
        }
        XCTAssertThrowsError(try BookingMachine.apply(.start, by: .admin, to: .init(status: .accepted)))
        XCTAssertThrowsError(try BookingMachine.apply(.edit, by: .provider, to: .init(status: .pending)))
        XCTAssertThrowsError(try BookingMachine.apply(.expire, by: .consumer, to: .init(status: .pending)))
    }

    func testEveryIllegalMoveNamesTheCurrentState() {
        // Every (move, status) pair outside the diagram is refused.
        let legal: Set<String> = [
            "edit/pending", "accept/pending", "reject/pending", "expire/pending", "cancel/pending", "cancel/accepted",
            "start/accepted", "complete/in_progress", "autoComplete/in_progress",
        ]
        let roleFor: [BookingMove: BookingRole] = [
            .edit: .consumer, .accept: .provider, .reject: .provider, .start: .provider, .complete: .consumer,
            .cancel: .consumer, .expire: .system, .autoComplete: .system,
        ]
        for move in BookingMove.allCases {
            for status in BookingStatus.allCases {
                let state = BookingState(status: status, workDone: true, paid: true)
                let key = "\(move.rawValue)/\(status.rawValue)"
                do {
                    _ = try BookingMachine.apply(move, by: roleFor[move]!, to: state)
                    XCTAssertTrue(legal.contains(key), "\(key) should be refused")
                } catch {
                    XCTAssertFalse(legal.contains(key), "\(key) should be allowed")
                    XCTAssertEqual(error, .illegal(move, state))
                }
            }
        }
    }

    func testTheProviderReportsDoneOnceAndADisputeHoldsTheAutomaticCompletion() {
        XCTAssertThrowsError(try BookingMachine.apply(.complete, by: .provider, to: .init(status: .inProgress, workDone: true)))
        // Not before the provider reported the work done, and not while disputed.
        XCTAssertThrowsError(try BookingMachine.apply(.autoComplete, by: .system, to: .init(status: .inProgress)))
        XCTAssertThrowsError(try BookingMachine.apply(.autoComplete, by: .system, to: .init(status: .inProgress, workDone: true, disputed: true)))
        XCTAssertEqual(try BookingMachine.apply(.autoComplete, by: .system, to: .init(status: .inProgress, workDone: true)).to, .completed)
        // Once work started it cannot be cancelled (a dispute is the way out).
        XCTAssertThrowsError(try BookingMachine.apply(.cancel, by: .provider, to: .init(status: .inProgress)))
    }

    func testValidationAndPrice() throws {
        let now = ISO8601.date(from: "2026-11-25T00:00:00Z")!
        let good = BookingRequest(providerId: UUID().uuidString, title: "Clean two split-type units", scheduledDate: "2026-11-26T01:00:00Z", estimatedHours: 2.5)
        let fields = try BookingFields.validate(good, creating: true, now: now)
        XCTAssertEqual(fields.estimatedMinutes, 150)

        func fieldsOf(_ r: BookingRequest) -> [String] {
            do { _ = try BookingFields.validate(r, creating: true, now: now); return [] } catch { return error.fields.map(\.field) }
        }
        XCTAssertEqual(fieldsOf(BookingRequest()), ["providerId", "title", "scheduledDate", "estimatedHours"])
        var bad = good
        bad.title = "  "
        bad.estimatedHours = 0.3
        bad.scheduledDate = "2026-11-24T09:00:00Z"
        bad.proposedRate = -1
        XCTAssertEqual(Set(fieldsOf(bad)), ["title", "estimatedHours", "scheduledDate", "proposedRate"])
        bad = good
        bad.providerId = "nope"
        bad.scheduledDate = "tomorrow"
        XCTAssertEqual(Set(fieldsOf(bad)), ["providerId", "scheduledDate"])

        // ₱333.33/h for 1¼ h = ₱416.6625 → ₱416.66; ₱500/h × 2.5 h = ₱1,250.
        XCTAssertEqual(BookingPrice.estimatedTotal(hourlyRate: 33_333, minutes: 75), 41_666)
        XCTAssertEqual(BookingPrice.estimatedTotal(hourlyRate: 50_000, minutes: 150), 125_000)
        // Half a centavo rounds up.
        XCTAssertEqual(BookingPrice.estimatedTotal(hourlyRate: 2, minutes: 15), 1)
    }

    func testNoticesGoToTheOtherSideInPhilippineTime() {
        let booking = BookingDTO(
            id: UUID(), consumerId: UUID(), providerId: UUID(), providerUserId: UUID(), categoryId: UUID(), title: "Aircon cleaning",
            description: "", location: nil, scheduledDate: "2026-12-01T01:00:00Z", scheduledEnd: "2026-12-01T03:00:00Z", estimatedHours: 2,
            proposedRate: 50_000, estimatedTotal: 100_000, status: .cancelled, expiresAt: nil, acceptedAt: nil, startedAt: nil, workDoneAt: nil,
            autoCompleteAt: nil, completedAt: nil, cancelledAt: nil, cancelledBy: .consumer, reason: nil, disputed: false,
            createdAt: "2026-11-25T00:00:00Z", updatedAt: "2026-11-25T00:00:00Z")
        let names = BookingNotices.Names(consumerName: "Juan", providerName: "Pedro's Aircon")
        let byConsumer = BookingNotices.notices(for: booking, event: EventType.bookingCancelled, actor: .consumer, names: names, appBaseURL: "https://trusttrade.ph/")
        XCTAssertEqual(byConsumer.map(\.userId), [booking.providerUserId])
        XCTAssertEqual(byConsumer.first?.variables["cancelledBy"], "Juan")
        XCTAssertEqual(byConsumer.first?.variables["scheduledDate"], "Tue 1 Dec 2026, 9:00 AM")
        XCTAssertEqual(byConsumer.first?.variables["bookingUrl"], "https://trusttrade.ph/bookings/\(booking.id.uuidString.lowercased())")
        let expired = BookingNotices.notices(for: booking, event: EventType.bookingExpired, actor: .system, names: names, appBaseURL: "x")
        XCTAssertEqual(Set(expired.map(\.userId)), [booking.consumerId, booking.providerUserId])
    }
}
