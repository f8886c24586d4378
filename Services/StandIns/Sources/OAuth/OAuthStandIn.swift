import Crypto
import Foundation
import Hummingbird
import ServiceKit

/// A local stand-in for Google's and Facebook's OAuth 2 servers. It speaks
/// the same protocol (authorization code + PKCE S256, form-encoded token
/// request, Bearer userinfo) so the auth service's real client code is what
/// runs under `make run` and in tests. A person signs in on a small HTML page
/// by typing the email and name the provider should report.
public actor OAuthStandIn {
    public struct Client: Sendable {
        public var id: String
        public var secret: String
        public init(id: String, secret: String) {
            self.id = id
            self.secret = secret
        }
    }

    struct Grant {
        var provider: String
        var clientId: String
        var redirectURI: String
        var challenge: String
        var profile: Profile
        var expires: Date
    }

    struct Profile: Sendable {
        var email: String
        var name: String
        var emailVerified: Bool
    }

    let clients: [String: [String: Client]]
    private var codes: [String: Grant] = [:]
    private var tokens: [String: (provider: String, profile: Profile, expires: Date)] = [:]

    /// `clients[provider][clientId]`.
    public init(clients: [String: [Client]]) {
        self.clients = clients.mapValues { Dictionary(uniqueKeysWithValues: $0.map { ($0.id, $0) }) }
    }

    func client(provider: String, id: String) -> Client? { clients[provider]?[id] }

    func issueCode(provider: String, clientId: String, redirectURI: String, challenge: String, profile: Profile) -> String {
        let code = Self.random()
        codes[code] = Grant(provider: provider, clientId: clientId, redirectURI: redirectURI, challenge: challenge, profile: profile, expires: Date().addingTimeInterval(60))
        return code
    }

    enum TokenError: Error { case invalidClient, invalidGrant(String) }

    func exchange(provider: String, code: String, clientId: String, clientSecret: String, redirectURI: String, verifier: String) throws(TokenError) -> String {
        guard let client = client(provider: provider, id: clientId), client.secret == clientSecret else { throw .invalidClient }
        // A code works once, even when the exchange fails.
        guard let grant = codes.removeValue(forKey: code) else { throw .invalidGrant("unknown or used code") }
        guard grant.provider == provider, grant.clientId == clientId else { throw .invalidGrant("code was issued to another client") }
        guard grant.expires > Date() else { throw .invalidGrant("code expired") }
        guard grant.redirectURI == redirectURI else { throw .invalidGrant("redirect_uri mismatch") }
        guard Base64URL.encode(SHA256.hash(data: Data(verifier.utf8))) == grant.challenge else { throw .invalidGrant("PKCE verification failed") }
        let token = Self.random()
        tokens[token] = (provider, grant.profile, Date().addingTimeInterval(3600))
        return token
    }

    func profile(provider: String, token: String) -> Profile? {
        guard let entry = tokens[token], entry.provider == provider, entry.expires > Date() else { return nil }
        return entry.profile
    }

    static func random() -> String {
        var g = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<24).map { _ in UInt8.random(in: 0...255, using: &g) })
    }

    /// The provider's stable user id for an email.
    static func subject(provider: String, email: String) -> String {
        let digest = SHA256.hash(data: Data("\(provider):\(email.lowercased())".utf8))
        return String(digest.prefix(10).map { String(format: "%02d", Int($0) % 100) }.joined())
    }
}
