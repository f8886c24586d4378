import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// Who opens `GET /v1/chats/live`. The gateway lets the route through
/// without a token (a browser cannot set `Authorization` on a WebSocket), so
/// core decides alone, from what the client sent and never from the
/// gateway's X-User-Id headers: the bearer token (signature, claims and
/// session, as on every route), or a ticket from `POST /v1/chats/ticket`,
/// spent by the upgrade whether the socket opens or not, its session checked
/// again.
///
/// A refused upgrade cannot carry the error envelope: the WebSocket layer
/// (hummingbird-websocket, after NIO's upgrader) answers every declined
/// upgrade with an empty 400 and closes. The same request without the
/// upgrade headers gets the envelope: 401 for bad credentials (a ticket is
/// only looked at, not spent), 426 for good ones.
public struct ChatSocketAuthenticationMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    let verifier: TokenVerifier
    let tickets: ChatTicketStore
    let sessions: any SessionChecker

    public init(verifier: TokenVerifier, tickets: ChatTicketStore, sessions: any SessionChecker) {
        self.verifier = verifier
        self.tickets = tickets
        self.sessions = sessions
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization]
        let ticket: String? = request.uri.queryParameters.get("ticket")
        guard header != nil || ticket != nil else {
            throw APIError.unauthorized("Send the access token (Authorization: Bearer) or a ticket from POST /v1/chats/ticket")
        }
        let isUpgrade = request.headers[.upgrade]?.lowercased() == "websocket"
        let verified: VerifiedToken
        if let header {
            verified = try await verifier.verifyToken(try TokenVerifier.bearerToken(header))
        } else {
            // A plain GET must not burn the ticket.
            verified = try await holder(of: ticket ?? "", spend: isUpgrade)
        }
        guard isUpgrade else {
            throw APIError(.upgradeRequired, code: .upgradeRequired, message: "GET /v1/chats/live is a WebSocket: send Connection: Upgrade and Upgrade: websocket")
        }
        var context = context
        context.identity = verified.identity
        context.accessTokenExpiresAt = verified.expiresAt
        context.logger[metadataKey: "userId"] = .string(verified.identity.userId.uuidString.lowercased())
        return try await next(request, context)
    }

    /// Who the ticket was issued to, as a token would say, while their session lives.
    func holder(of ticket: String, spend: Bool) async throws -> VerifiedToken {
        guard let grant = try await tickets.grant(of: ticket, spend: spend) else {
            throw APIError.unauthorized("This ticket is unknown, used or expired; ask for a new one", code: .tokenInvalid)
        }
        // Up to 30 s old: the session may have ended since.
        guard try await sessions.isActive(sessionId: grant.sessionId) else {
            throw APIError.unauthorized("Session has ended; sign in again", code: .sessionRevoked)
        }
        return VerifiedToken(identity: grant.identity, expiresAt: grant.tokenExpiresAt)
    }
}
