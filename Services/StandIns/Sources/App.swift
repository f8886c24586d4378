import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import ServiceKit

/// Configuration of the local stand-ins for internet providers.
public struct StandInsConfig: Sendable {
    public var host: String
    public var port: Int
    public var logLevel: String
    public var oauthClients: [String: [OAuthStandIn.Client]]
    public var sendgridAPIKey: String
    public var semaphoreAPIKey: String
    /// The FCM service account whose key signs token requests (JSON key file).
    public var fcmServiceAccount: ServiceAccount?
    public var publicBaseURL: String
    /// Set when `STANDINS_URL` was given (links then use it; otherwise the
    /// address the caller used).
    public var explicitPublicBaseURL: String?
    /// PayMongo: the test secret key clients use, and a webhook endpoint
    /// registered from the start (`make run` points it at the gateway).
    public var paymongoSecretKey: String
    public var paymongoWebhookURL: String?
    public var paymongoWebhookSecret: String?

    public init(settings: Settings = Settings()) throws {
        host = settings.string("HOST", default: "127.0.0.1")
        port = try settings.int("PORT", default: 4010)
        logLevel = settings.string("LOG_LEVEL", default: "info")
        oauthClients = [
            "google": [.init(id: settings.string("GOOGLE_CLIENT_ID", default: "trusttrade-dev"), secret: settings.string("GOOGLE_CLIENT_SECRET", default: "dev-google-secret"))],
            "facebook": [.init(id: settings.string("FACEBOOK_CLIENT_ID", default: "trusttrade-dev"), secret: settings.string("FACEBOOK_CLIENT_SECRET", default: "dev-facebook-secret"))],
        ]
        sendgridAPIKey = settings.string("SENDGRID_API_KEY", default: "dev-sendgrid-key")
        semaphoreAPIKey = settings.string("SEMAPHORE_API_KEY", default: "dev-semaphore-key")
        if let path = settings.optionalString("FCM_SERVICE_ACCOUNT_FILE") {
            fcmServiceAccount = try JSONDecoder().decode(ServiceAccount.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        }
        publicBaseURL = settings.string("STANDINS_URL", default: "http://127.0.0.1:\(port)")
        explicitPublicBaseURL = settings.optionalString("STANDINS_URL")
        paymongoSecretKey = settings.string("PAYMONGO_SECRET_KEY", default: "sk_test_trusttrade_dev")
        paymongoWebhookURL = settings.optionalString("PAYMONGO_WEBHOOK_URL")
        paymongoWebhookSecret = settings.optionalString("PAYMONGO_WEBHOOK_SECRET")
    }
}

public func buildStandIns(config: StandInsConfig, logger: Logger? = nil) -> some ApplicationProtocol {
    let logger = logger ?? ServiceRuntime.logger("standins", level: config.logLevel)
    let router = Router.service(AppRequestContext.self)
    router.addOperationalRoutes(service: "standins", checks: [])
    OAuthRoutes(standIn: OAuthStandIn(clients: config.oauthClients)).addRoutes(to: router)
    let messages = DeliveredMessages()
    SendGridRoutes(apiKey: config.sendgridAPIKey, messages: messages).addRoutes(to: router)
    SemaphoreRoutes(apiKey: config.semaphoreAPIKey, messages: messages).addRoutes(to: router)
    FCMRoutes(standIn: FCMStandIn(account: config.fcmServiceAccount), messages: messages, publicBaseURL: config.publicBaseURL).addRoutes(to: router)
    MailboxRoutes(messages: messages).addRoutes(to: router)
    let paymongo = PayMongoStandIn(
        secretKey: config.paymongoSecretKey, publicBaseURL: config.publicBaseURL, presetWebhookURL: config.paymongoWebhookURL,
        fixedWebhookSecret: config.paymongoWebhookSecret, logger: logger)
    PayMongoRoutes(
        standIn: paymongo, sender: PayMongoWebhookSender(standIn: paymongo, http: HTTPClient.shared, logger: logger),
        secretKey: config.paymongoSecretKey, publicBaseURL: config.explicitPublicBaseURL
    ).addRoutes(to: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "standins"),
        logger: logger
    )
}
