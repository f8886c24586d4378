import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import ServiceKit
import TrustTradeDTO

/// The core service's request context: the service kit's (request id,
/// identity) plus what a WebSocket upgrade needs (the chat's live socket).
public struct CoreRequestContext: ServiceRequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestId: String = ""
    public var identity: Identity?
    /// Kept for the chat socket (it closes when the token expires) and its tickets.
    public var accessTokenExpiresAt: Date?
    public let remoteAddress: SocketAddress?
    public let webSocket: WebSocketHandlerReference<Self>

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.webSocket = .init()
    }

    public var maxUploadSize: Int { 1024 * 1024 }
}
