import Foundation
import ServiceKit

/// Everything the notification service reads from its environment. Provider
/// URLs default to the local stand-ins (`make run`); point them at the real
/// SendGrid, Semaphore and FCM by configuration.
public struct NotificationConfig: Sendable {
    public var common: CommonConfig
    public var sendgridBaseURL: String
    public var sendgridAPIKey: String
    public var mailFrom: String
    public var mailFromName: String
    public var semaphoreBaseURL: String
    public var semaphoreAPIKey: String
    public var smsSenderName: String
    public var fcmBaseURL: String
    /// Path of the Google service-account JSON key; push is off without it.
    public var fcmServiceAccountFile: String?
    public var workerConcurrency: Int

    public init(settings: Settings = Settings()) throws {
        common = try CommonConfig(serviceName: "notification-service", defaultPort: 3003, settings: settings)
        let standIns = settings.string("STANDINS_URL", default: "http://127.0.0.1:4010")
        sendgridBaseURL = settings.string("SENDGRID_BASE_URL", default: "\(standIns)/sendgrid")
        sendgridAPIKey = settings.string("SENDGRID_API_KEY", default: "dev-sendgrid-key")
        mailFrom = settings.string("MAIL_FROM", default: "no-reply@trusttrade.ph")
        mailFromName = settings.string("MAIL_FROM_NAME", default: "TrustTrade")
        semaphoreBaseURL = settings.string("SEMAPHORE_BASE_URL", default: "\(standIns)/semaphore")
        semaphoreAPIKey = settings.string("SEMAPHORE_API_KEY", default: "dev-semaphore-key")
        smsSenderName = settings.string("SMS_SENDER_NAME", default: "TrustTrade")
        fcmBaseURL = settings.string("FCM_BASE_URL", default: "\(standIns)/fcm")
        fcmServiceAccountFile = settings.optionalString("FCM_SERVICE_ACCOUNT_FILE")
        workerConcurrency = try settings.int("NOTIFICATION_WORKER_CONCURRENCY", default: 20)
    }
}
