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
