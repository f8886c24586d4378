import Hummingbird

/// The address a request came from. Behind our gateway (`TRUST_PROXY=true`)
/// that is the gateway's `X-Client-IP`, which the gateway decides (the
/// socket's peer, or the rightmost hop our own proxies vouch for) and never
/// takes from a client; `X-Forwarded-For`'s leftmost entry is whatever the
/// client wrote and is never believed. Otherwise, the socket's peer.
public enum ClientAddress {
    public static func of<Context: ServiceRequestContext>(_ request: Request, context: Context, trustProxy: Bool) -> String? {
        if trustProxy, let address = request.headers[.clientIP], isPlausibleAddress(address) {
            return address
        }
        return context.remoteAddress?.ipAddress
    }

    /// An IPv4 or IPv6 address's characters, not anything longer: the
    /// value ends up in logs and rows.
    static func isPlausibleAddress(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 45
            && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) || $0 == 0x2E || $0 == 0x3A }
    }
}
