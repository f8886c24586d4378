import Foundation
import HummingbirdBcrypt
import Logging
import NIOPosix
import PostgresNIO
import Redis
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// The auth service's use cases: what happens when someone registers, signs
/// in, refreshes, signs out, verifies an email or resets a password.
public struct AccountService: Sendable {
    let config: AuthConfig
    let postgres: PostgresClient
    let redis: RedisClient
    let users: UserStore
    let sessions: SessionStore
    let emailTokens: EmailTokenStore
    let issuer: TokenIssuer
    let outbox: OutboxWriter
    let logger: Logger
    /// A bcrypt hash (at the configured cost) of a random secret, checked when
    /// the email is unknown so that answer takes as long as a wrong password.
    let decoyHash: String

    /// A request's own facts that the use cases need.
    public struct Caller: Sendable {
        public var requestId: String
        public var ip: String?
        public var userAgent: String?
        public var logger: Logger
    }

    // MARK: Register

    public func register(_ request: RegisterRequest, caller: Caller) async throws -> UserDTO {
        let registration = try Registration.validate(request)
        let hash = try await hashPassword(registration.password)
        let user = try await postgres.transaction(logger: caller.logger) { connection in
            let user = try await users.insert(
                email: registration.email, passwordHash: hash, fullName: registration.fullName,
                phone: registration.phone, userType: registration.userType, emailVerified: false, on: connection
            )
            try await publishRegistered(user, caller: caller, on: connection)
            try await sendVerificationEmail(to: user, caller: caller, on: connection)
            return user
        }
        caller.logger.info("user registered", metadata: ["userId": .string(user.id.uuidString.lowercased())])
        return user.dto
    }

    // MARK: Login

    public func login(_ request: LoginRequest, caller: Caller) async throws -> TokenResponse {
        var v = Validator()
        v.check(!request.email.isEmpty, "email", "Email is required")
        v.check(!request.password.isEmpty, "password", "Password is required")
        try v.validate()
        let email = request.email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let throttle = LoginThrottle(redis: redis, policy: config.loginThrottle)
        try await throttle.checkAllowed(email: email, ip: caller.ip)

        // An address that could not have registered is looked up nowhere (a NUL
        // byte in it would even be refused by Postgres): same answer, same work.
        let user = Credentials.normalizeEmail(email) == nil ? nil : try await users.find(email: email)
        // Same work and the same answer whether the email or the password is
        // wrong, so neither the reply nor its timing tells which accounts exist.
        let passwordMatches = try await verifyPassword(request.password, hash: user?.passwordHash ?? decoyHash)
        guard let user, user.passwordHash != nil, passwordMatches else {
            try await throttle.recordFailure(email: email, ip: caller.ip)
            throw APIError.unauthorized("Email or password is incorrect", code: .invalidCredentials)
        }
        guard user.status == .active else {
            throw APIError(.forbidden, code: .accountSuspended, message: "This account is suspended")
        }
        try await throttle.clear(email: email)
        try await users.recordLogin(userId: user.id)
        return try await startSession(for: user, caller: caller)
    }

    // MARK: Refresh

    public func refresh(_ request: RefreshTokenRequest, caller: Caller) async throws -> TokenResponse {
        switch try await sessions.rotate(refreshToken: request.refreshToken) {
        case .rotated(let userId, let sessionId, let refreshToken):
            guard let user = try await users.find(id: userId), user.status == .active else {
                throw APIError.unauthorized("Session has ended; sign in again", code: .sessionRevoked)
            }
            return try await tokens(for: user, sessionId: sessionId, refreshToken: refreshToken)
        case .reused(let userId, let sessionId):
            caller.logger.warning("refresh token reused; session revoked", metadata: [
                "userId": .string(userId.uuidString.lowercased()), "sessionId": .string(sessionId.uuidString.lowercased()),
            ])
            throw APIError.unauthorized("This refresh token was already used; the session has been ended for safety", code: .refreshTokenReused)
        case .expired:
            throw APIError.unauthorized("Refresh token has expired; sign in again", code: .tokenExpired)
        case .invalid:
            throw APIError.unauthorized("Refresh token is not valid", code: .tokenInvalid)
        }
    }

    // MARK: Logout

    public func logout(_ request: LogoutRequest, identity: Identity?, caller: Caller) async throws {
        guard OpaqueToken.looksValid(request.refreshToken) else {
            throw APIError.validation("refreshToken", "refreshToken is not a refresh token")
        }
        _ = try await sessions.end(refreshToken: request.refreshToken, reason: "logout")
        // The access token's own session ends too, even if the refresh token
        // presented belonged to another one.
        if let identity, let sid = UUID(uuidString: identity.sessionId) {
            try await postgres.transaction(logger: caller.logger) { connection in
                try await connection.query(
                    "UPDATE auth.sessions SET revoked_at = now(), revoke_reason = 'logout' WHERE id = \(sid) AND revoked_at IS NULL",
                    logger: caller.logger
                )
            }
            try await sessions.forget(sessionIds: [sid], of: identity.userId)
        }
    }

    // MARK: Email verification

    public func verifyEmail(_ request: VerifyEmailRequest, caller: Caller) async throws {
        let verified = try await postgres.transaction(logger: caller.logger) { connection -> Bool in
            guard let userId = try await emailTokens.consume(request.token, purpose: .verifyEmail, on: connection) else { return false }
            try await users.markEmailVerified(userId: userId, on: connection)
            return true
        }
        guard verified else {
            throw APIError.badRequest("This verification link is invalid or has expired", code: .tokenInvalid)
        }
    }

    /// Always accepted, so the answer does not tell whether the address has an account.
    public func resendVerification(_ request: EmailRequest, caller: Caller) async throws {
        guard let email = Credentials.normalizeEmail(request.email) else {
            throw APIError.validation("email", "Email must be a valid email address")
        }
        guard let user = try await users.find(email: email), !user.emailVerified, user.status == .active else { return }
        // At most one verification email a minute per account.
        guard try await redis.set("auth:resend:\(user.id.uuidString.lowercased())", "1", expiration: .seconds(60), condition: .ifNotExists) else { return }
        try await postgres.transaction(logger: caller.logger) { connection in
            try await sendVerificationEmail(to: user, caller: caller, on: connection)
        }
    }

    // MARK: Password reset

    /// Always accepted (no user enumeration); an email goes out only when the
    /// account exists.
    public func forgotPassword(_ request: EmailRequest, caller: Caller) async throws {
        guard let email = Credentials.normalizeEmail(request.email) else {
            throw APIError.validation("email", "Email must be a valid email address")
        }
        guard let user = try await users.find(email: email), user.status == .active else { return }
        guard try await redis.set("auth:reset:\(user.id.uuidString.lowercased())", "1", expiration: .seconds(60), condition: .ifNotExists) else { return }
        try await postgres.transaction(logger: caller.logger) { connection in
            let token = try await emailTokens.issue(userId: user.id, purpose: .resetPassword, lifetime: config.resetPasswordLifetime, on: connection)
            let event = EmailRequested(EmailRequestedEvent(
                to: user.email, template: "password-reset",
                variables: ["fullName": user.fullName, "token": token.value, "resetUrl": "\(config.appBaseURL)/reset-password?token=\(token.value)", "expiresInMinutes": "60"]
            ))
            try await outbox.publish(event, requestId: caller.requestId, on: connection, logger: caller.logger)
        }
    }

    /// Sets a new password and ends every session of the account: whoever
    /// knew the old password is signed out everywhere.
    public func resetPassword(_ request: ResetPasswordRequest, caller: Caller) async throws {
        guard OpaqueToken.looksValid(request.token) else {
            throw APIError.badRequest("This reset link is invalid or has expired", code: .tokenInvalid)
        }
        let hash = try await hashPassword(request.password, checkingPolicyFor: nil)
        let ended: (userId: UUID, sessionIds: [UUID])? = try await postgres.transaction(logger: caller.logger) { connection in
            guard let userId = try await emailTokens.consume(request.token, purpose: .resetPassword, on: connection) else { return nil }
            try await users.setPassword(userId: userId, hash: hash, on: connection)
            // The reset link reached the inbox: the address is proven.
            try await users.markEmailVerified(userId: userId, on: connection)
            return (userId, try await sessions.endAll(userId: userId, reason: "password_reset", on: connection))
        }
        guard let ended else {
            throw APIError.badRequest("This reset link is invalid or has expired", code: .tokenInvalid)
        }
        try await sessions.forgetAll(sessionIds: ended.sessionIds, of: ended.userId)
    }

    // MARK: Sessions and tokens

    func startSession(for user: User, caller: Caller) async throws -> TokenResponse {
        let issued = try await sessions.start(userId: user.id, userAgent: caller.userAgent, ip: caller.ip)
        return try await tokens(for: user, sessionId: issued.sessionId, refreshToken: issued.refreshToken)
    }

    func tokens(for user: User, sessionId: UUID, refreshToken: OpaqueToken) async throws -> TokenResponse {
        let identity = Identity(userId: user.id, email: user.email, userType: user.userType, sessionId: sessionId.uuidString.lowercased())
        let access = try await issuer.accessToken(for: identity)
        return TokenResponse(accessToken: access, refreshToken: refreshToken.value, expiresIn: Int(config.accessTokenLifetime), user: user.dto)
    }

    func publishRegistered(_ user: User, caller: Caller, on connection: PostgresConnection) async throws {
        let event = UserRegistered(UserRegisteredEvent(
            userId: user.id, email: user.email, fullName: user.fullName, phone: user.phone, userType: user.userType
        ))
        try await outbox.publish(event, requestId: caller.requestId, on: connection, logger: caller.logger)
    }

    func sendVerificationEmail(to user: User, caller: Caller, on connection: PostgresConnection) async throws {
        let token = try await emailTokens.issue(userId: user.id, purpose: .verifyEmail, lifetime: config.verifyEmailLifetime, on: connection)
        let event = EmailRequested(EmailRequestedEvent(
            to: user.email, template: "verify-email",
            variables: ["fullName": user.fullName, "token": token.value, "verifyUrl": "\(config.appBaseURL)/verify-email?token=\(token.value)"]
        ))
        try await outbox.publish(event, requestId: caller.requestId, on: connection, logger: caller.logger)
    }

    // MARK: Passwords (bcrypt on the thread pool, never on an event loop)

    func hashPassword(_ password: String, checkingPolicyFor email: String? = "") async throws -> String {
        if email == nil {
            let problems = Credentials.passwordProblems(password, email: nil)
            if !problems.isEmpty {
                throw ValidationFailure(problems.map { FieldError(field: "password", message: "Password \($0)") }).apiError
            }
        }
        let cost = UInt8(config.bcryptCost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        // bcrypt stops at a NUL byte: such a password would match on its prefix alone.
        guard password.utf8.count <= 1024, !password.utf8.contains(0) else { return false }
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}

/// Failed-login counters in Redis per account and per address (seed 6.2):
/// past the limit, a 429 with `Retry-After` until the window ends.
struct LoginThrottle: Sendable {
    let redis: RedisClient
    let policy: LoginThrottlePolicy

    static let recordScript = RedisScript("""
        local a = redis.call('INCR', KEYS[1])
        if a == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
        local b = 0
        if KEYS[2] then
          b = redis.call('INCR', KEYS[2])
          if b == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
        end
        return {a, b}
        """)

    func accountKey(_ email: String) -> String { "auth:login_fail:acct:\(email)" }
    func ipKey(_ ip: String) -> String { "auth:login_fail:ip:\(ip)" }

    func checkAllowed(email: String, ip: String?) async throws {
        let keys = [accountKey(email)] + (ip.map { [ipKey($0)] } ?? [])
        let counts = try await redis.mget(keys).map { $0.flatMap(Int.init) ?? 0 }
        let account = counts[0], perIP = counts.count > 1 ? counts[1] : 0
        guard policy.isBlocked(accountFailures: account, ipFailures: perIP) else { return }
        let blockingKey = account >= policy.maxFailuresPerAccount ? keys[0] : keys[1]
        let ttl = try await redis.ttl(blockingKey)
        throw APIError.tooManyRequests(
            retryAfterSeconds: Int(ttl > 0 ? ttl : Int64(policy.window)),
            message: "Too many failed sign-in attempts; try again later"
        )
    }

    func recordFailure(email: String, ip: String?) async throws {
        let keys = [accountKey(email)] + (ip.map { [ipKey($0)] } ?? [])
        _ = try await redis.run(Self.recordScript, keys: keys, args: [String(policy.window)])
    }

    func clear(email: String) async throws {
        _ = try await redis.del(accountKey(email))
    }
}
