import AsyncHTTPClient
import Foundation
import Logging
import ServiceKit
import TrustTradeDTO

/// Profiles come from the auth service's user.registered event; a person whose
/// event has not arrived yet (queue lag) still gets their profile: it is made
/// from the auth service's record on first sight, the same way the event would.
public struct ProfileService: Sendable {
    public let store: ProfileStore
    let auth: InternalClient
    /// `AUTH_BASE_URL`: one auth instance or a comma-separated list.
    let authInstances: ServiceInstances

    public init(store: ProfileStore, auth: InternalClient, authBaseURL: String) {
        self.store = store
        self.auth = auth
        self.authInstances = ServiceInstances(authBaseURL)
    }

    public func profile(of identity: Identity, requestId: String) async throws -> ProfileDTO {
        try await profile(userId: identity.userId, requestId: requestId)
    }

    /// Anyone's profile; someone who registered a moment ago exists too.
    public func profile(userId: UUID, requestId: String) async throws -> ProfileDTO {
        if let profile = try await store.profile(userId: userId) { return profile }
        let user: UserDTO
        do {
            user = try await auth.get("/internal/users/\(userId.uuidString.lowercased())", from: authInstances, requestId: requestId)
        } catch let error as InternalCallError where error.status == 404 {
            throw APIError.notFound("No such user")
        }
        try await store.createIfMissing(userId: user.id, email: user.email, fullName: user.fullName, phone: user.phone, userType: user.userType)
        guard let profile = try await store.profile(userId: userId) else { throw APIError.notFound("No such user") }
        return profile
    }

    /// The user.registered job.
    public func handleRegistered(_ event: UserRegisteredEvent) async throws {
        try await store.createIfMissing(userId: event.userId, email: event.email, fullName: event.fullName, phone: event.phone, userType: event.userType)
    }
}
