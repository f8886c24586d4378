import TrustTradeDTO
import Foundation
import NotificationService
import XCTest

final class TemplateTests: XCTestCase {
    static let variables: [String: String] = [
        "fullName": "Maria <Clara>", "verifyUrl": "https://trusttrade.ph/verify-email?token=a&b=1",
        "resetUrl": "https://trusttrade.ph/reset-password?token=x", "expiresInMinutes": "60",
        "consumerName": "Jose", "providerName": "Aling Nena's Aircon", "serviceTitle": "Aircon cleaning",
        "scheduledDate": "2026-12-01", "bookingUrl": "https://trusttrade.ph/b/1", "searchUrl": "https://trusttrade.ph/s",
        "cancelledBy": "the consumer", "reviewUrl": "https://trusttrade.ph/r/1", "amount": "₱1,500.00",
        "paymentUrl": "https://trusttrade.ph/p/1", "balanceUrl": "https://trusttrade.ph/balance", "destination": "GCash wallet",
        "reviewerName": "Jose", "rating": "5", "title": "Malinis!",
    ]

    func testEveryKindRendersInEnglishAndFilipino() async throws {
        let library = try await notificationTemplates()
        for kind in NotificationKind.allCases {
            for language in [Language.en, .fil] {
                let m = try library.render(kind, language: language, variables: Self.variables)
                for part in [m.subject, m.text, m.html, m.short] {
                    XCTAssertFalse(part.isEmpty, "\(kind) \(language)")
                    XCTAssertFalse(part.contains("{{"), "\(kind) \(language): unrendered tag in \(part)")
                }
                XCTAssertTrue(m.html.contains("<html>") || m.html.contains("<!doctype html>"), "\(kind) html has the layout")
            }
        }
        let en = try library.render(.verifyEmail, language: .en, variables: Self.variables)
        let fil = try library.render(.verifyEmail, language: .fil, variables: Self.variables)
        XCTAssertNotEqual(en.subject, fil.subject)
        XCTAssertTrue(fil.text.contains("Kumusta"))
        // HTML escapes what people typed; the text part keeps links intact.
        XCTAssertTrue(en.html.contains("Maria &lt;Clara&gt;"))
        XCTAssertTrue(en.text.contains("https://trusttrade.ph/verify-email?token=a&b=1"))
    }

    func testSecurityMailCannotBeSwitchedOffButOthersCan() {
        XCTAssertEqual(ChannelPolicy.channels(for: .passwordReset, disabled: [.email]), [.email])
        XCTAssertEqual(ChannelPolicy.channels(for: .bookingAccepted, disabled: [.sms, .email]), [.push, .inApp])
        XCTAssertTrue(ChannelPolicy.channels(for: .bookingAccepted, disabled: [.inApp]).contains(.inApp), "the inbox always keeps a copy")
    }
}
