import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// What the auth service does with the events on its queue (`auth`):
/// other services' news about accounts.
public enum AuthEvents {
    public struct Context: Sendable {
        let users: UserStore
    }

    public static let handlers: EventHandlers<Context> = {
        var h = EventHandlers<Context>(queue: .auth)
        // A consumer became a provider (core): their next tokens say so.
        h.on(UserTypeChanged.self) { c, event in
            if event.payload.userType == .provider { try await c.users.becomeProvider(userId: event.payload.userId) }
        }
        return h
    }()
}
