import Foundation
import TrustTradeDTO

/// A user account as the auth service stores it.
public struct User: Sendable, Equatable {
    public var id: UUID
    public var email: String
    public var passwordHash: String?
    public var phone: String?
    public var fullName: String
    public var userType: UserType
    public var profileImageUrl: String?
    public var emailVerified: Bool
    public var phoneVerified: Bool
    public var status: UserStatus
    public var createdAt: Date
    public var lastLoginAt: Date?

    public var dto: UserDTO {
        UserDTO(
            id: id, email: email, fullName: fullName, phone: phone, userType: userType,
            profileImageUrl: profileImageUrl, emailVerified: emailVerified, phoneVerified: phoneVerified,
            status: status, createdAt: ISO8601.string(from: createdAt), lastLoginAt: lastLoginAt.map(ISO8601.string(from:))
        )
    }
}

/// What a login attempt may still do, given recent failures (seed 6.2).
public struct LoginThrottlePolicy: Sendable {
    public var maxFailuresPerAccount: Int
    public var maxFailuresPerIP: Int
    public var window: Int

    public init(maxFailuresPerAccount: Int, maxFailuresPerIP: Int, windowSeconds: Int) {
        self.maxFailuresPerAccount = maxFailuresPerAccount
        self.maxFailuresPerIP = maxFailuresPerIP
        self.window = windowSeconds
    }

    public func isBlocked(accountFailures: Int, ipFailures: Int) -> Bool {
        accountFailures >= maxFailuresPerAccount || ipFailures >= maxFailuresPerIP
    }
}
