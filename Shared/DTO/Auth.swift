import Foundation

public enum UserType: String, Codable, Sendable, CaseIterable {
    case consumer, provider, admin
}

public enum UserStatus: String, Codable, Sendable, CaseIterable {
    case active, suspended
}

// MARK: Requests

public struct RegisterRequest: Codable, Sendable {
    public var email: String
    public var password: String
    public var fullName: String
    public var phone: String?
    public var userType: String

    public init(email: String, password: String, fullName: String, phone: String? = nil, userType: String) {
        self.email = email
        self.password = password
        self.fullName = fullName
        self.phone = phone
        self.userType = userType
    }
}

public struct LoginRequest: Codable, Sendable {
    public var email: String
    public var password: String
    public init(email: String, password: String) {
        self.email = email
        self.password = password
    }
}

public struct RefreshTokenRequest: Codable, Sendable {
    public var refreshToken: String
    public init(refreshToken: String) { self.refreshToken = refreshToken }
}

public struct LogoutRequest: Codable, Sendable {
    public var refreshToken: String
    public init(refreshToken: String) { self.refreshToken = refreshToken }
}

public struct EmailRequest: Codable, Sendable {
    public var email: String
    public init(email: String) { self.email = email }
}

public struct ResetPasswordRequest: Codable, Sendable {
    public var token: String
    public var password: String
    public init(token: String, password: String) {
        self.token = token
        self.password = password
    }
}

public struct VerifyEmailRequest: Codable, Sendable {
    public var token: String
    public init(token: String) { self.token = token }
}

// MARK: Responses

public struct UserDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var email: String
    public var fullName: String
    public var phone: String?
    public var userType: UserType
    public var profileImageUrl: String?
    public var emailVerified: Bool
    public var phoneVerified: Bool
    public var status: UserStatus
    public var createdAt: String
    public var lastLoginAt: String?

    public init(
        id: UUID, email: String, fullName: String, phone: String?, userType: UserType,
        profileImageUrl: String?, emailVerified: Bool, phoneVerified: Bool, status: UserStatus,
        createdAt: String, lastLoginAt: String?
    ) {
        self.id = id
        self.email = email
        self.fullName = fullName
        self.phone = phone
        self.userType = userType
        self.profileImageUrl = profileImageUrl
        self.emailVerified = emailVerified
        self.phoneVerified = phoneVerified
        self.status = status
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
    }
}

public struct TokenResponse: Codable, Sendable {
    public var accessToken: String
    public var refreshToken: String
    /// Seconds until the access token expires.
    public var expiresIn: Int
    public var tokenType: String
    public var user: UserDTO

    public init(accessToken: String, refreshToken: String, expiresIn: Int, user: UserDTO) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.tokenType = "Bearer"
        self.user = user
    }
}

public struct MessageResponse: Codable, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// Where the client should send the person to continue an OAuth sign-in.
public struct OAuthStartResponse: Codable, Sendable {
    public var authorizationUrl: String
    public var state: String
    public init(authorizationUrl: String, state: String) {
        self.authorizationUrl = authorizationUrl
        self.state = state
    }
}

// MARK: Events (job data on the queue)

/// Published when an account is created, so other services make their rows.
public struct UserRegisteredEvent: Codable, Sendable, Equatable {
    @LowercaseUUID public var userId: UUID
    public var email: String
    public var fullName: String
    public var phone: String?
    public var userType: UserType
    public init(userId: UUID, email: String, fullName: String, phone: String?, userType: UserType) {
        self.userId = userId
        self.email = email
        self.fullName = fullName
        self.phone = phone
        self.userType = userType
    }
}

/// An email to send: the notification service renders `template` with `variables`.
public struct EmailRequestedEvent: Codable, Sendable, Equatable {
    public var to: String
    public var template: String
    public var variables: [String: String]
    public init(to: String, template: String, variables: [String: String]) {
        self.to = to
        self.template = template
        self.variables = variables
    }
}

/// The envelope of every event on the queue (job data): DESIGN "Events".
public struct EventEnvelope<Payload: Codable & Sendable>: Codable, Sendable {
    @LowercaseUUID public var eventId: UUID
    public var type: String
    public var occurredAt: String
    public var requestId: String?
    public var payload: Payload
    public init(eventId: UUID = UUID(), type: String, occurredAt: Date = Date(), requestId: String?, payload: Payload) {
        self.eventId = eventId
        self.type = type
        self.occurredAt = ISO8601.string(from: occurredAt)
        self.requestId = requestId
        self.payload = payload
    }
}

/// A person became a provider (core, on their first provider profile): the
/// auth service records it, so their next tokens say so.
public struct UserTypeChangedEvent: Codable, Sendable, Equatable {
    @LowercaseUUID public var userId: UUID
    public var userType: UserType
    public init(userId: UUID, userType: UserType) {
        self.userId = userId
        self.userType = userType
    }
}

public enum EventType {
    public static let userRegistered = "user.registered"
    public static let userTypeChanged = "user.type-changed"
    public static let emailRequested = "email.requested"
}

// MARK: Identity

/// The verified identity of a request, as the access token states it.
public struct Identity: Codable, Sendable, Equatable {
    @LowercaseUUID public var userId: UUID
    public var email: String
    public var userType: UserType
    public var sessionId: String

    public init(userId: UUID, email: String, userType: UserType, sessionId: String) {
        self.userId = userId
        self.email = email
        self.userType = userType
        self.sessionId = sessionId
    }
}
