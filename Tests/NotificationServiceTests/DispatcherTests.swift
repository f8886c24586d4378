import AsyncHTTPClient
import CryptoExtras
import Foundation
import HummingbirdTesting
import Logging
import NotificationService
import PostgresNIO
import ServiceKit
import StandIns
import TestSupport
import TrustTradeDTO
import XCTest

/// A service account with a fresh RSA key, as Google's JSON key file has it.
func makeServiceAccountFile(tokenURI: String) throws -> String {
    let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
    let json: [String: String] = [
        "type": "service_account", "project_id": "trusttrade-test", "private_key_id": "k1",
        "private_key": key.pkcs8PEMRepresentation, "client_email": "push@trusttrade-test.iam.gserviceaccount.com", "token_uri": tokenURI,
    ]
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString).json").path
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
    return path
}

/// Everything the stand-ins received, read through their JSON endpoint.
struct Mailbox: Decodable {
    struct Email: Decodable { var id: String; var to: [String]; var subject: String; var text: String?; var html: String? }
    struct SMS: Decodable { var number: String; var message: String }
    struct Push: Decodable { var token: String; var title: String?; var body: String? }
    var emails: [Email]
    var sms: [SMS]
    var pushes: [Push]

    static func read(_ client: any TestClientProtocol) async throws -> Mailbox {
        try await client.execute(uri: "/mailbox/messages.json", method: .get) { r in
            try JSONDecoder().decode(Mailbox.self, from: Data(buffer: r.body))
        }
    }
}

final class DispatcherTests: XCTestCase {
    /// Stand-ins live on a port, a fresh migrated database, and a dispatcher
    /// talking HTTP to the stand-ins with the real provider clients.
    func withDispatcher(_ body: @Sendable (NotificationDispatcher, NotificationStore, any TestClientProtocol) async throws -> Void) async throws {
        let saPath = try makeServiceAccountFile(tokenURI: "http://127.0.0.1/fcm/token")
        var quiet = Logger(label: "standins")
        quiet.logLevel = .warning
        let logger = quiet
        let standIns = buildStandIns(config: try StandInsConfig(settings: Settings([
            "PORT": "0", "FCM_SERVICE_ACCOUNT_FILE": saPath,
        ])), logger: logger)
        let dbURL = try await TestEnvironment.freshDatabase("notify")
        try await standIns.test(.live) { mailbox in
            let base = "http://127.0.0.1:\(mailbox.port!)"
            let pg = try Database.makeClient(url: dbURL, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await pg.run() }
                defer { group.cancelAll() }
                try await Migrator(schema: "notification", migrations: try notificationMigrations()).migrate(client: pg, logger: logger)
                let store = NotificationStore(client: pg, logger: logger)
                var file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: saPath))) as! [String: String]
                file["token_uri"] = "\(base)/fcm/token"
                let account = try JSONDecoder().decode(ServiceAccountKey.self, from: JSONSerialization.data(withJSONObject: file))
                let dispatcher = NotificationDispatcher(
                    store: store, templates: try await notificationTemplates(),
                    email: SendGridEmailSender(client: .shared, baseURL: "\(base)/sendgrid", apiKey: "dev-sendgrid-key", fromEmail: "no-reply@trusttrade.ph", fromName: "TrustTrade"),
                    sms: SemaphoreSMSSender(client: .shared, baseURL: "\(base)/semaphore", apiKey: "dev-semaphore-key", senderName: "TrustTrade"),
                    push: try await FCMPushSender(client: .shared, account: account, baseURL: "\(base)/fcm")
                )
                try await body(dispatcher, store, mailbox)
            }
        }
    }

    static func emailJob(to: String, template: String, variables: [String: String]) throws -> String {
        let event = EventEnvelope(type: EventType.emailRequested, requestId: "req-test", payload: EmailRequestedEvent(to: to, template: template, variables: variables))
        return String(decoding: try APIJSON.encoder().encode(event), as: UTF8.self)
    }

    func testVerificationEmailIsSentOnceEvenWhenTheJobRunsTwice() async throws {
        try await withDispatcher { dispatcher, _, mailbox in
            let to = TestEnvironment.uniqueEmail("verify")
            let json = try Self.emailJob(to: to, template: "verify-email", variables: ["fullName": "Juan", "verifyUrl": "http://localhost:3000/verify-email?token=abc", "token": "abc"])
            try await dispatcher.handle(name: "email.requested", json: json, jobId: "job-1-\(to)", logger: Logger(label: "t"))
            try await dispatcher.handle(name: "email.requested", json: json, jobId: "job-1-\(to)", logger: Logger(label: "t"))
            let mails = try await Mailbox.read(mailbox).emails.filter { $0.to == [to] }
            XCTAssertEqual(mails.count, 1)
            XCTAssertEqual(mails.first?.subject, "Confirm your email address")
            XCTAssertTrue(mails.first?.html?.contains("http://localhost:3000/verify-email?token=abc") == true)
            XCTAssertTrue(mails.first?.text?.contains("http://localhost:3000/verify-email?token=abc") == true)
        }
    }

    func testThrottledProviderIsRetriedAndPermanentRejectionFails() async throws {
        try await withDispatcher { dispatcher, _, mailbox in
            let throttled = "juan+throttle.\(UUID().uuidString.prefix(6))@example.ph"
            let json = try Self.emailJob(to: throttled, template: "password-reset", variables: ["fullName": "Juan", "resetUrl": "http://x/reset", "expiresInMinutes": "60"])
            do {
                try await dispatcher.handle(name: "email.requested", json: json, jobId: "job-t-\(throttled)", logger: Logger(label: "t"))
                XCTFail("a 429 must be retryable")
            } catch let error as DeliveryError {
                guard case .retryable = error else { return XCTFail("\(error)") }
            }
            try await dispatcher.handle(name: "email.requested", json: json, jobId: "job-t-\(throttled)", logger: Logger(label: "t"))
            let received = try await Mailbox.read(mailbox).emails.filter { $0.to == [throttled] }
            XCTAssertEqual(received.count, 1)

            let rejected = "juan+reject@example.ph"
            do {
                try await dispatcher.handle(name: "email.requested", json: try Self.emailJob(to: rejected, template: "verify-email", variables: ["verifyUrl": "x"]), jobId: "job-r", logger: Logger(label: "t"))
                XCTFail("a 400 must fail")
            } catch let error as DeliveryError {
                guard case .permanent = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testUserNotificationGoesToEveryChannelTheUserAllows() async throws {
        try await withDispatcher { dispatcher, store, mailbox in
            let userId = UUID()
            let email = TestEnvironment.uniqueEmail("ana")
            try await store.saveRecipient(Recipient(userId: userId, email: email, phone: "+639171234567", fullName: "Ana", language: .fil))
            let device = "device-\(UUID().uuidString)-token-abcdefghij"
            try await store.registerDevice(userId: userId, token: device, platform: "android")
            try await store.registerDevice(userId: userId, token: "unregistered-\(UUID().uuidString)", platform: "ios")
            try await store.setPreference(userId: userId, kind: .bookingAccepted, channel: .sms, enabled: false)

            let request = NotifyUserRequest(userId: userId, kind: .bookingAccepted, variables: ["providerName": "Aling Nena", "serviceTitle": "Aircon cleaning", "scheduledDate": "2026-12-01", "bookingUrl": "http://x/b/1"], data: ["bookingId": "b1"])
            try await dispatcher.notify(request, jobId: "job-\(userId)", logger: Logger(label: "t"))
            try await dispatcher.notify(request, jobId: "job-\(userId)", logger: Logger(label: "t"))

            let box = try await Mailbox.read(mailbox)
            let mails = box.emails.filter { $0.to == [email] }
            XCTAssertEqual(mails.count, 1)
            XCTAssertTrue(mails[0].subject.contains("Tinanggap"), "Filipino for a Filipino-speaking user: \(mails[0].subject)")
            XCTAssertEqual(box.pushes.filter { $0.token == device }.count, 1)
            XCTAssertTrue(box.sms.filter { $0.message.contains("Aling Nena") }.isEmpty, "SMS was switched off")
            let tokens = try await store.deviceTokens(userId: userId)
            XCTAssertEqual(tokens, [device], "the unregistered token was forgotten")
            let (inbox, total) = try await store.inbox(userId: userId, unreadOnly: false, page: PageRequest())
            XCTAssertEqual(total, 1)
            XCTAssertEqual(inbox.first?.data["bookingId"], "b1")
        }
    }

    func testANULByteInAVariableDoesNotFailTheInbox() async throws {
        try await withDispatcher { _, store, _ in
            let userId = UUID()
            try await store.addToInbox(
                userId: userId, kind: .bookingAccepted, title: "Tinanggap\u{0} na", body: "Aling\u{0} Nena",
                data: ["bookingId": "b\u{0}1", "x\u{0}": "y"], jobId: "job-nul-\(userId)"
            )
            let (inbox, total) = try await store.inbox(userId: userId, unreadOnly: false, page: PageRequest())
            XCTAssertEqual(total, 1)
            XCTAssertEqual(inbox.first?.title, "Tinanggap na")
            XCTAssertEqual(inbox.first?.body, "Aling Nena")
            XCTAssertEqual(inbox.first?.data, ["bookingId": "b1", "x": "y"])
        }
    }
}
