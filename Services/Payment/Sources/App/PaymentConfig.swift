import Foundation
import ServiceKit

/// Everything the payment service reads from its environment.
public struct PaymentConfig: Sendable {
    public var common: CommonConfig
    public var fees: FeePolicy
    public var appBaseURL: String
    public var workerConcurrency: Int
    /// PayMongo (the local stand-in unless configured).
    public var paymongoBaseURL: String
    public var paymongoSecretKey: String
    public var paymongoWebhookSecret: String
    public var paymongoLiveMode: Bool
    /// Where PayMongo sends the person after authorizing, unless the app says.
    public var paymentReturnURL: String
    /// The core service, for `/internal/bookings/:id`.
    public var coreBaseURL: String
    /// Seals bank accounts at rest (AES-256-GCM).
    public var dataKey: String

    public init(settings: Settings = Settings()) throws {
        common = try CommonConfig(serviceName: "payment-service", defaultPort: 3002, settings: settings)
        let bps = try settings.int("PLATFORM_FEE_BPS", default: 1000)
        let minimum = try settings.int("PLATFORM_FEE_MIN_CENTAVOS", default: 2000)
        guard (0...10_000).contains(bps), minimum >= 0 else {
            throw ConfigurationError(key: "PLATFORM_FEE_BPS", message: "must be 0–10000 (and PLATFORM_FEE_MIN_CENTAVOS ≥ 0)")
        }
        fees = FeePolicy(basisPoints: Int64(bps), minimumCentavos: Int64(minimum))
        appBaseURL = settings.string("APP_BASE_URL", default: "http://localhost:3000")
        workerConcurrency = try settings.int("PAYMENT_WORKER_CONCURRENCY", default: 10)
        paymongoBaseURL = settings.string("PAYMONGO_BASE_URL", default: settings.string("STANDINS_URL", default: "http://127.0.0.1:4010") + "/paymongo")
        paymongoSecretKey = settings.string("PAYMONGO_SECRET_KEY", default: "sk_test_trusttrade_dev")
        paymongoWebhookSecret = settings.string("PAYMONGO_WEBHOOK_SECRET", default: "whsk_trusttrade_dev")
        paymongoLiveMode = try settings.bool("PAYMONGO_LIVE_MODE", default: false)
        paymentReturnURL = settings.string("PAYMENT_RETURN_URL", default: appBaseURL + "/payments/return")
        coreBaseURL = settings.string("CORE_BASE_URL", default: "http://127.0.0.1:3000")
        // The default is for development only; production sets its own.
        dataKey = settings.string("PAYMENT_DATA_KEY", default: "ZGV2LW9ubHktcGF5bWVudC1kYXRhLWtleS0zMmJ5dGU=")
    }
}
