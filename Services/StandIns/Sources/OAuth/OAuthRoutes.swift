import Foundation
import Hummingbird
import ServiceKit

/// HTTP face of the OAuth stand-in, under `/oauth/{google|facebook}/...`.
struct OAuthRoutes {
    let standIn: OAuthStandIn

    func addRoutes(to router: Router<AppRequestContext>) {
        let group = router.group("oauth/:provider")
        group.get("authorize", use: authorizePage)
        group.post("authorize", use: authorize)
        group.post("token", use: token)
        group.get("userinfo", use: userinfo)
        group.get("me", use: userinfo)
    }

    struct AuthorizeParams: Decodable {
        var response_type: String?
        var client_id: String?
        var redirect_uri: String?
        var scope: String?
        var state: String?
        var code_challenge: String?
        var code_challenge_method: String?
        var email: String?
        var name: String?
        var email_verified: String?
        var decision: String?
    }

    func provider(_ context: AppRequestContext) throws -> String {
        guard let p = context.parameters.get("provider"), ["google", "facebook"].contains(p) else { throw APIError.notFound("No such provider") }
        return p
    }

    /// Checks the authorization request the way a provider does before it
    /// shows its sign-in page: unknown client or bad redirect is an error
    /// page, never a redirect.
    func validated(_ p: AuthorizeParams, provider: String) async throws -> (clientId: String, redirect: String, challenge: String) {
        guard p.response_type == "code" else { throw APIError.badRequest("unsupported_response_type") }
        guard let clientId = p.client_id, await standIn.client(provider: provider, id: clientId) != nil else { throw APIError.badRequest("invalid_client") }
        guard let redirect = p.redirect_uri, let url = URL(string: redirect), url.scheme == "http" || url.scheme == "https" else {
            throw APIError.badRequest("invalid redirect_uri")
        }
        guard p.code_challenge_method == "S256", let challenge = p.code_challenge, challenge.count >= 43 else {
            throw APIError.badRequest("PKCE with S256 is required")
        }
        return (clientId, redirect, challenge)
    }

    @Sendable func authorizePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let provider = try provider(context)
        let params = try request.uri.decodeQuery(as: AuthorizeParams.self, context: context)
        _ = try await validated(params, provider: provider)
        func esc(_ s: String?) -> String {
            (s ?? "").replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
                .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let hidden = [
            ("response_type", params.response_type), ("client_id", params.client_id), ("redirect_uri", params.redirect_uri),
            ("scope", params.scope), ("state", params.state), ("code_challenge", params.code_challenge),
            ("code_challenge_method", params.code_challenge_method),
        ].map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\(esc($0.1))\">" }.joined(separator: "\n")
        let html = """
            <!doctype html><html><head><meta charset="utf-8"><title>Sign in with \(provider.capitalized) (local stand-in)</title>
            <style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}label{display:block;margin:.6rem 0}input[type=text],input[type=email]{width:100%;padding:.4rem}</style>
            </head><body>
            <h1>Sign in with \(provider.capitalized)</h1>
            <p>Local stand-in for development. <b>\(esc(params.client_id))</b> asks for: \(esc(params.scope)).</p>
            <form method="post" action="/oauth/\(provider)/authorize">
            \(hidden)
            <label>Email <input type="email" name="email" required value="juan.delacruz@example.ph"></label>
            <label>Name <input type="text" name="name" value="Juan Dela Cruz"></label>
            <label><input type="checkbox" name="email_verified" value="true" checked> Email is verified</label>
            <button name="decision" value="allow">Allow</button> <button name="decision" value="deny">Cancel</button>
            </form></body></html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    @Sendable func authorize(_ request: Request, context: AppRequestContext) async throws -> Response {
        let provider = try provider(context)
        let body = try await request.body.collect(upTo: 64 * 1024)
        let params = try URLEncodedFormDecoder().decode(AuthorizeParams.self, from: String(buffer: body))
        let (clientId, redirect, challenge) = try await validated(params, provider: provider)
        var target = URLComponents(string: redirect)!
        var items = target.queryItems ?? []
        if params.decision == "deny" {
            items.append(URLQueryItem(name: "error", value: "access_denied"))
        } else {
            guard let email = params.email, email.contains("@") else { throw APIError.validation("email", "email is required") }
            let profile = OAuthStandIn.Profile(email: email, name: params.name ?? "", emailVerified: params.email_verified == "true")
            let code = await standIn.issueCode(provider: provider, clientId: clientId, redirectURI: redirect, challenge: challenge, profile: profile)
            items.append(URLQueryItem(name: "code", value: code))
        }
        if let state = params.state { items.append(URLQueryItem(name: "state", value: state)) }
        target.queryItems = items
        return Response(status: .found, headers: [.location: target.string!])
    }

    struct TokenParams: Decodable {
        var grant_type: String?
        var code: String?
        var redirect_uri: String?
        var client_id: String?
        var client_secret: String?
        var code_verifier: String?
    }

    @Sendable func token(_ request: Request, context: AppRequestContext) async throws -> Response {
        let provider = try provider(context)
        let body = try await request.body.collect(upTo: 64 * 1024)
        let params = try URLEncodedFormDecoder().decode(TokenParams.self, from: String(buffer: body))
        func oauthError(_ status: HTTPResponse.Status, _ error: String, _ description: String) -> Response {
            let json = "{\"error\":\"\(error)\",\"error_description\":\"\(description)\"}"
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        guard params.grant_type == "authorization_code" else { return oauthError(.badRequest, "unsupported_grant_type", "only authorization_code") }
        guard let code = params.code, let clientId = params.client_id, let secret = params.client_secret,
              let redirect = params.redirect_uri, let verifier = params.code_verifier
        else { return oauthError(.badRequest, "invalid_request", "missing parameters") }
        do {
            let token = try await standIn.exchange(provider: provider, code: code, clientId: clientId, clientSecret: secret, redirectURI: redirect, verifier: verifier)
            let json = "{\"access_token\":\"\(token)\",\"token_type\":\"Bearer\",\"expires_in\":3600}"
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: json)))
        } catch .invalidClient {
            return oauthError(.unauthorized, "invalid_client", "unknown client or wrong secret")
        } catch .invalidGrant(let why) {
            return oauthError(.badRequest, "invalid_grant", why)
        }
    }

    @Sendable func userinfo(_ request: Request, context: AppRequestContext) async throws -> Response {
        let provider = try provider(context)
        guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer "),
              let profile = await standIn.profile(provider: provider, token: String(auth.dropFirst(7)))
        else {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        }
        let subject = OAuthStandIn.subject(provider: provider, email: profile.email)
        var object: [String: AnyEncodableValue] = ["email": .string(profile.email), "name": .string(profile.name)]
        if provider == "google" {
            object["sub"] = .string(subject)
            object["email_verified"] = .bool(profile.emailVerified)
        } else {
            object["id"] = .string(subject)
        }
        let data = try JSONEncoder().encode(object)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

enum AnyEncodableValue: Encodable {
    case string(String), bool(Bool)
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        }
    }
}
