import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import Redis
import ServiceKit
import TrustTradeDTO

/// What a provider's userinfo endpoint tells about the person. Google answers
/// `sub`, Facebook's Graph `/me` answers `id`.
struct OAuthProfile: Decodable, Sendable {
    var sub: String?
    var id: String?
    var email: String?
    var emailVerified: Bool?
    var name: String?
    var picture: String?

    enum CodingKeys: String, CodingKey {
        case sub, id, email, name, picture
        case emailVerified = "email_verified"
    }

    var subject: String? { sub ?? id }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sub = try c.decodeIfPresent(String.self, forKey: .sub)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        email = try c.decodeIfPresent(String.self, forKey: .email)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        // Google sends a bool; some providers send "true"; Facebook sends an object for picture.
        if let b = try? c.decodeIfPresent(Bool.self, forKey: .emailVerified) { emailVerified = b } else if let s = try? c.decodeIfPresent(String.self, forKey: .emailVerified) { emailVerified = s == "true" }
        picture = try? c.decodeIfPresent(String.self, forKey: .picture)
    }
}

struct OAuthTokenReply: Decodable {
    var accessToken: String
    enum CodingKeys: String, CodingKey { case accessToken = "access_token" }
}

/// The authorization-code flow with `state` and PKCE (S256): start sends the
/// person to the provider; the callback trades the code for a token, reads
/// the profile, and links or creates the account.
struct OAuthFlow: Sendable {
    let config: AuthConfig
    let redis: RedisClient
    let http: HTTPClient
    let accounts: AccountService

    struct PendingState: Codable {
        var provider: String
        var codeVerifier: String
    }

    func redirectURI(_ provider: OAuthProviderConfig) -> String {
        "\(config.oauthRedirectBaseURL)/v1/auth/\(provider.name)/callback"
    }

    func start(provider: OAuthProviderConfig) async throws -> OAuthStartResponse {
        let state = OpaqueToken.generate().value
        let verifier = OpaqueToken.generate().value + OpaqueToken.generate().value.prefix(20)
        let pending = String(decoding: try JSONEncoder().encode(PendingState(provider: provider.name, codeVerifier: String(verifier))), as: UTF8.self)
        try await redis.set("auth:oauth:state:\(state)", pending, expiration: .seconds(600))
        var url = URLComponents(string: provider.authorizeURL)!
        url.queryItems = (url.queryItems ?? []) + [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: provider.clientId),
            URLQueryItem(name: "redirect_uri", value: redirectURI(provider)),
            URLQueryItem(name: "scope", value: provider.scopes),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "code_challenge", value: PKCE.challenge(for: String(verifier))),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        return OAuthStartResponse(authorizationUrl: url.string!, state: state)
    }

    func callback(provider: OAuthProviderConfig, code: String?, state: String?, error: String?, caller: AccountService.Caller) async throws -> TokenResponse {
        if let error {
            throw APIError(.unauthorized, code: .oauthFailed, message: "Sign-in with \(provider.name) was not completed (\(error.prefix(64)))")
        }
        guard let state, OpaqueToken.looksValid(state) else { throw APIError.validation("state", "state is missing or malformed") }
        guard let code, !code.isEmpty, code.count <= 2048 else { throw APIError.validation("code", "code is missing") }
        // GETDEL: a state works once, so a replayed callback gets nothing.
        guard let raw = try await redis.send(["GETDEL", "auth:oauth:state:\(state)"]).string,
              let pending = try? JSONDecoder().decode(PendingState.self, from: Data(raw.utf8)),
              pending.provider == provider.name
        else {
            throw APIError(.badRequest, code: .oauthFailed, message: "This sign-in attempt has expired or was already used; start again")
        }
        let accessToken = try await exchange(code: code, verifier: pending.codeVerifier, provider: provider, logger: caller.logger)
        let profile = try await userinfo(accessToken: accessToken, provider: provider, logger: caller.logger)
        return try await signIn(profile: profile, provider: provider, caller: caller)
    }

    private func exchange(code: String, verifier: String, provider: OAuthProviderConfig, logger: Logger) async throws -> String {
        var form = URLComponents()
        form.queryItems = [
            URLQueryItem(name: "grant_type", value: "authorization_code"),
            URLQueryItem(name: "code", value: code),
            URLQueryItem(name: "redirect_uri", value: redirectURI(provider)),
            URLQueryItem(name: "client_id", value: provider.clientId),
            URLQueryItem(name: "client_secret", value: provider.clientSecret),
            URLQueryItem(name: "code_verifier", value: verifier),
        ]
        let body = (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        var request = HTTPClientRequest(url: provider.tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let (status, bytes) = try await send(request, provider: provider)
        guard status == 200, let reply = try? JSONDecoder().decode(OAuthTokenReply.self, from: bytes) else {
            logger.warning("oauth code exchange refused", metadata: ["provider": .string(provider.name), "status": .stringConvertible(status)])
            if (400..<500).contains(status) {
                throw APIError(.unauthorized, code: .oauthFailed, message: "\(provider.name) did not accept this sign-in; start again")
            }
            throw APIError(.badGateway, code: .badGateway, message: "\(provider.name) answered unexpectedly")
        }
        return reply.accessToken
    }

    private func userinfo(accessToken: String, provider: OAuthProviderConfig, logger: Logger) async throws -> OAuthProfile {
        var request = HTTPClientRequest(url: provider.userinfoURL)
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken)")
        request.headers.add(name: "Accept", value: "application/json")
        let (status, bytes) = try await send(request, provider: provider)
        guard status == 200, let profile = try? JSONDecoder().decode(OAuthProfile.self, from: bytes), profile.subject != nil else {
            throw APIError(.badGateway, code: .badGateway, message: "\(provider.name) did not return a usable profile")
        }
        return profile
    }

    private func send(_ request: HTTPClientRequest, provider: OAuthProviderConfig) async throws -> (Int, ByteBuffer) {
        do {
            let response = try await http.execute(request, timeout: .seconds(10))
            return (Int(response.status.code), try await response.body.collect(upTo: 1 << 20))
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badGateway, code: .badGateway, message: "\(provider.name) could not be reached")
        }
    }

    /// Links by provider identity first, then by a verified email, else
    /// creates a consumer account. An unverified email that matches an
    /// existing account is refused: that would hand the account to whoever
    /// typed the address at the provider.
    private func signIn(profile: OAuthProfile, provider: OAuthProviderConfig, caller: AccountService.Caller) async throws -> TokenResponse {
        let subject = profile.subject!
        let email = profile.email.flatMap(Credentials.normalizeEmail)
        let verified = profile.emailVerified ?? provider.emailsAreVerified
        let users = accounts.users
        let user: User = try await accounts.postgres.transaction(logger: caller.logger) { connection in
            if let linked = try await users.user(forProvider: provider.name, subject: subject, on: connection) { return linked }
            guard let email else {
                throw APIError(.unprocessableContent, code: .oauthFailed, message: "\(provider.name) did not share an email address; allow email access and try again")
            }
            if let existing = try await users.find(email: email, on: connection) {
                guard verified else {
                    throw APIError.conflict("An account with this email exists; sign in with your password first", code: .emailTaken)
                }
                try await users.link(userId: existing.id, provider: provider.name, subject: subject, email: email, on: connection)
                if !existing.emailVerified { try await users.markEmailVerified(userId: existing.id, on: connection) }
                return existing
            }
            let name = profile.name.flatMap(Credentials.normalizeFullName) ?? String(email.split(separator: "@")[0])
            let created = try await users.insert(
                email: email, passwordHash: nil, fullName: name, phone: nil, userType: .consumer,
                emailVerified: verified, on: connection
            )
            try await users.link(userId: created.id, provider: provider.name, subject: subject, email: email, on: connection)
            try await accounts.publishRegistered(created, caller: caller, on: connection)
            return created
        }
        guard user.status == .active else {
            throw APIError(.forbidden, code: .accountSuspended, message: "This account is suspended")
        }
        try await users.recordLogin(userId: user.id)
        return try await accounts.startSession(for: user, caller: caller)
    }
}
