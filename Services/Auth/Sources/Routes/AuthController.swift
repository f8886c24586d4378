import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/auth/...` (seed 7.1 Auth endpoints).
struct AuthController {
    let accounts: AccountService
    let oauth: OAuthFlow
    let issuer: TokenIssuer
    let verifier: TokenVerifier
    let trustProxy: Bool

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("register", use: register)
        group.post("login", use: login)
        group.post("refresh-token", use: refresh)
        group.post("forgot-password", use: forgotPassword)
        group.post("reset-password", use: resetPassword)
        group.post("verify-email", use: verifyEmail)
        group.post("verify-email/resend", use: resendVerification)
        group.get(".well-known/jwks.json", use: jwks)
        group.get(":provider", use: oauthStart)
        group.get(":provider/callback", use: oauthCallback)
        group.post("logout", use: logout)
        group.group("me")
            .add(middleware: AuthenticationMiddleware(verifier: verifier))
            .get(use: me)
    }

    func caller(_ request: Request, _ context: AppRequestContext) -> AccountService.Caller {
        AccountService.Caller(
            requestId: context.requestId,
            ip: ClientAddress.of(request, context: context, trustProxy: trustProxy),
            userAgent: request.headers[.userAgent],
            logger: context.logger
        )
    }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> Envelope<UserDTO> {
        let body = try await request.decodeJSON(as: RegisterRequest.self, context: context)
        return Envelope(try await accounts.register(body, caller: caller(request, context)), status: .created)
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Envelope<TokenResponse> {
        let body = try await request.decodeJSON(as: LoginRequest.self, context: context)
        return Envelope(try await accounts.login(body, caller: caller(request, context)))
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> Envelope<TokenResponse> {
        let body = try await request.decodeJSON(as: RefreshTokenRequest.self, context: context)
        return Envelope(try await accounts.refresh(body, caller: caller(request, context)))
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Envelope<MessageResponse> {
        let body = try await request.decodeJSON(as: LogoutRequest.self, context: context)
        // Signing out must work with an expired access token too: the refresh
        // token decides; a still-valid access token also ends its own session.
        var identity: Identity?
        if let token = bearerToken(request) { identity = try? await verifier.verify(token) }
        try await accounts.logout(body, identity: identity, caller: caller(request, context))
        return Envelope(MessageResponse("Signed out"))
    }

    @Sendable func forgotPassword(_ request: Request, context: AppRequestContext) async throws -> Envelope<MessageResponse> {
        let body = try await request.decodeJSON(as: EmailRequest.self, context: context)
        try await accounts.forgotPassword(body, caller: caller(request, context))
        return Envelope(MessageResponse("If an account exists for this email, a reset link is on its way"), status: .accepted)
    }

    @Sendable func resetPassword(_ request: Request, context: AppRequestContext) async throws -> Envelope<MessageResponse> {
        let body = try await request.decodeJSON(as: ResetPasswordRequest.self, context: context)
        try await accounts.resetPassword(body, caller: caller(request, context))
        return Envelope(MessageResponse("Password changed; sign in with the new password"))
    }

    @Sendable func verifyEmail(_ request: Request, context: AppRequestContext) async throws -> Envelope<MessageResponse> {
        let body = try await request.decodeJSON(as: VerifyEmailRequest.self, context: context)
        try await accounts.verifyEmail(body, caller: caller(request, context))
        return Envelope(MessageResponse("Email verified"))
    }

    @Sendable func resendVerification(_ request: Request, context: AppRequestContext) async throws -> Envelope<MessageResponse> {
        let body = try await request.decodeJSON(as: EmailRequest.self, context: context)
        try await accounts.resendVerification(body, caller: caller(request, context))
        return Envelope(MessageResponse("If this email needs verifying, a new link is on its way"), status: .accepted)
    }

    /// Plain JWKS (not the envelope): standard JWT libraries read it as is.
    @Sendable func jwks(_ request: Request, context: AppRequestContext) async throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(try await issuer.publicKeys())
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Envelope<UserDTO> {
        let identity = try context.requireIdentity()
        guard let user = try await accounts.users.find(id: identity.userId) else { throw APIError.notFound("No such user") }
        return Envelope(user.dto)
    }

    /// `GET /v1/auth/google`: a browser is redirected to the provider; a
    /// client asking for JSON gets the URL to open.
    @Sendable func oauthStart(_ request: Request, context: AppRequestContext) async throws -> Response {
        let provider = try provider(context)
        let start = try await oauth.start(provider: provider)
        if request.headers[.accept]?.contains("application/json") == true {
            return try Envelope(start).response(from: request, context: context)
        }
        return Response(status: .found, headers: [.location: start.authorizationUrl, .cacheControl: "no-store"])
    }

    @Sendable func oauthCallback(_ request: Request, context: AppRequestContext) async throws -> Envelope<TokenResponse> {
        let provider = try provider(context)
        let query = request.uri.queryParameters
        return Envelope(try await oauth.callback(
            provider: provider,
            code: query.get("code"), state: query.get("state"), error: query.get("error"),
            caller: caller(request, context)
        ))
    }

    func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    func provider(_ context: AppRequestContext) throws -> OAuthProviderConfig {
        guard let name = context.parameters.get("provider"), let provider = accounts.config.oauthProvider(name) else {
            throw APIError.notFound("No such route")
        }
        return provider
    }
}

/// `/internal/...`: what other services ask of auth.
struct InternalController {
    let users: UserStore

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("users/:id", use: user)
    }

    @Sendable func user(_ request: Request, context: AppRequestContext) async throws -> Envelope<UserDTO> {
        let id = try context.uuidParameter()
        guard let user = try await users.find(id: id) else { throw APIError.notFound("No such user") }
        return Envelope(user.dto)
    }
}
