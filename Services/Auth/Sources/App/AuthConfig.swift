import Foundation
import ServiceKit

/// An OAuth 2 provider's endpoints and our client registration with it.
public struct OAuthProviderConfig: Sendable {
    public var name: String
    public var clientId: String
    public var clientSecret: String
    public var authorizeURL: String
    public var tokenURL: String
    public var userinfoURL: String
    public var scopes: String
    /// Whether the provider's email can be trusted as verified when it does
    /// not say (Facebook only returns confirmed addresses).
    public var emailsAreVerified: Bool

    static func from(_ settings: Settings, prefix: String, name: String, scopes: String, emailsAreVerified: Bool) -> OAuthProviderConfig {
        let standIn = settings.string("STANDINS_URL", default: "http://127.0.0.1:4010")
        return OAuthProviderConfig(
            name: name,
            clientId: settings.string("\(prefix)_CLIENT_ID", default: "trusttrade-dev"),
            clientSecret: settings.string("\(prefix)_CLIENT_SECRET", default: "dev-\(name)-secret"),
            authorizeURL: settings.string("\(prefix)_AUTHORIZE_URL", default: "\(standIn)/oauth/\(name)/authorize"),
            tokenURL: settings.string("\(prefix)_TOKEN_URL", default: "\(standIn)/oauth/\(name)/token"),
            userinfoURL: settings.string("\(prefix)_USERINFO_URL", default: "\(standIn)/oauth/\(name)/userinfo"),
            scopes: scopes,
            emailsAreVerified: emailsAreVerified
        )
    }
}

/// Everything the auth service reads from its environment.
public struct AuthConfig: Sendable {
    public var common: CommonConfig
    public var bcryptCost: Int
    public var accessTokenLifetime: TimeInterval
    public var refreshTokenLifetime: TimeInterval
    public var signingKeyRotation: TimeInterval
    public var keyEncryptionSecret: String
    public var verifyEmailLifetime: TimeInterval
    public var resetPasswordLifetime: TimeInterval
    public var loginThrottle: LoginThrottlePolicy
    public var appBaseURL: String
    public var oauthRedirectBaseURL: String
    public var google: OAuthProviderConfig
    public var facebook: OAuthProviderConfig

    public init(settings: Settings = Settings()) throws {
        common = try CommonConfig(serviceName: "auth-service", defaultPort: 3001, settings: settings)
        bcryptCost = try settings.int("AUTH_BCRYPT_COST", default: 12)
        guard (4...31).contains(bcryptCost) else { throw ConfigurationError(key: "AUTH_BCRYPT_COST", message: "must be 4...31") }
        accessTokenLifetime = TimeInterval(try settings.int("AUTH_ACCESS_TOKEN_TTL_SECONDS", default: 900))
        refreshTokenLifetime = TimeInterval(try settings.int("AUTH_REFRESH_TOKEN_TTL_DAYS", default: 30) * 86_400)
        signingKeyRotation = TimeInterval(try settings.int("AUTH_SIGNING_KEY_ROTATION_DAYS", default: 30) * 86_400)
        keyEncryptionSecret = settings.string("AUTH_KEY_ENCRYPTION_KEY", default: "dev-only-key-encryption-secret")
        verifyEmailLifetime = 24 * 3600
        resetPasswordLifetime = 3600
        loginThrottle = LoginThrottlePolicy(
            maxFailuresPerAccount: try settings.int("AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT", default: 5),
            maxFailuresPerIP: try settings.int("AUTH_LOGIN_MAX_FAILURES_PER_IP", default: 20),
            windowSeconds: try settings.int("AUTH_LOGIN_FAILURE_WINDOW_SECONDS", default: 900)
        )
        appBaseURL = settings.string("APP_BASE_URL", default: "http://localhost:3000")
        oauthRedirectBaseURL = settings.string("OAUTH_REDIRECT_BASE_URL", default: "http://127.0.0.1:\(common.port)")
        google = .from(settings, prefix: "GOOGLE", name: "google", scopes: "openid email profile", emailsAreVerified: false)
        facebook = .from(settings, prefix: "FACEBOOK", name: "facebook", scopes: "email public_profile", emailsAreVerified: true)
    }

    public func oauthProvider(_ name: String) -> OAuthProviderConfig? {
        switch name {
        case "google": google
        case "facebook": facebook
        default: nil
        }
    }
}
