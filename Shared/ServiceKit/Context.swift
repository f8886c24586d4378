import Foundation
import Hummingbird
import Logging
import NIOCore
import TrustTradeDTO

/// What every service's request context carries: the request id (also in the
/// logger's metadata, so every log line has it), the caller's address and,
/// once authenticated, the verified identity.
public protocol ServiceRequestContext: RequestContext {
    var requestId: String { get set }
    var identity: Identity? { get set }
    var remoteAddress: SocketAddress? { get }
    /// When the access token that proved `identity` expires. Only contexts
    /// that need it keep it (core's: a chat socket closes then); the default
    /// forgets it.
    var accessTokenExpiresAt: Date? { get set }
}

extension ServiceRequestContext {
    public var accessTokenExpiresAt: Date? {
        get { nil }
        set {}
    }
}

extension ServiceRequestContext {
    /// The verified identity, or a 401 when the route needs one and there is none.
    public func requireIdentity() throws -> Identity {
        guard let identity else { throw APIError.unauthorized() }
        return identity
    }
}

extension ServiceRequestContext {
    /// The verified identity when it has `role`: a 401 without one, a 403
    /// (`message`, or the usual one) with another role.
    @discardableResult
    public func requireRole(_ role: UserType, _ message: String? = nil) throws -> Identity {
        let identity = try requireIdentity()
        guard identity.userType == role else { throw message.map(APIError.forbidden) ?? APIError.forbidden() }
        return identity
    }
}

extension Identity {
    public var isAdmin: Bool { userType == .admin }

    /// An admin, or the person `owners` names (any of them: e.g. both sides
    /// of a booking).
    public func isAdmin(orOneOf owners: UUID?...) -> Bool {
        isAdmin || owners.contains(userId)
    }

    /// A 403 (`message`) unless `isAdmin(orOneOf:)`.
    public func requireAdmin(orOneOf owners: UUID?..., message: String) throws {
        guard isAdmin || owners.contains(userId) else { throw APIError.forbidden(message) }
    }
}

/// The default context: JSON bodies up to 1 MiB.
public struct AppRequestContext: ServiceRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestId: String = ""
    public var identity: Identity?
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    public var maxUploadSize: Int { 1024 * 1024 }
}

extension ServiceRequestContext {
    /// A path parameter that must be a UUID (DESIGN: a malformed id is a 400,
    /// naming the parameter; `what` starts the message, e.g. "Provider id").
    public func uuidParameter(_ name: String = "id", what: String = "id") throws -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else {
            throw APIError.validation(name, "\(what) must be a UUID")
        }
        return id
    }
}
