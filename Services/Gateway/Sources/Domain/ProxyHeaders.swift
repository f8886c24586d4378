import NIOHTTP1

/// Which headers cross the gateway (RFC 9110 §7.6.1 for hop-by-hop).
public enum ProxyHeaders {
    /// Meaningful for one connection only; never forwarded either way.
    /// `Transfer-Encoding` is redone by each side's encoder.
    static let hopByHop: HeaderNameSet = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// A request's length is the gateway's decision (`RequestFraming`),
    /// written anew upstream; the client's own header never passes.
    static let requestFraming: HeaderNameSet = ["content-length"]

    /// Set by the gateway alone: a client sending them must not be believed
    /// (identity, service credential, forwarding chain).
    static let setByGateway: HeaderNameSet = [
        "x-user-id", "x-user-type", "x-session-id", "x-user-email", "x-service-token",
        "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip", "x-client-ip", "forwarded",
        "x-request-id", "host", "expect",
    ]

    /// Rate-limit headers are the gateway's to set on the way back.
    static let answeredByGateway: HeaderNameSet = [
        "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
        "x-ratelimit-limit-minute", "x-ratelimit-remaining-minute", "x-request-id",
    ]

    /// Names listed in `Connection` (`Connection: close, X-Debug`) are hop-by-hop too.
    static func connectionListed(_ headers: HTTPHeaders) -> Set<String> {
        var names: Set<String> = []
        for value in headers[canonicalForm: "connection"] {
            names.insert(value.lowercased())
        }
        return names
    }

    /// The client's headers that may go upstream.
    public static func forwardable(request headers: HTTPHeaders) -> HTTPHeaders {
        let listed = headers.contains(name: "connection") ? connectionListed(headers) : []
        var out = HTTPHeaders()
        out.reserveCapacity(headers.count + 8)
        for (name, value) in headers {
            if hopByHop.contains(name) || setByGateway.contains(name) || requestFraming.contains(name)
                || (!listed.isEmpty && listed.contains(name.lowercased())) { continue }
            out.add(name: name, value: value)
        }
        return out
    }

    /// The upstream's headers that may go back to the client.
    public static func returnable(response headers: HTTPHeaders) -> HTTPHeaders {
        let listed = headers.contains(name: "connection") ? connectionListed(headers) : []
        var out = HTTPHeaders()
        out.reserveCapacity(headers.count + 10)
        for (name, value) in headers {
            if hopByHop.contains(name) || answeredByGateway.contains(name)
                || (!listed.isEmpty && listed.contains(name.lowercased())) { continue }
            out.add(name: name, value: value)
        }
        return out
    }
}

/// Header names matched in any letter case without building a lower-case
/// copy of every name of every request (the proxy's hot path).
struct HeaderNameSet: ExpressibleByArrayLiteral, Sendable {
    private let byLength: [Int: [[UInt8]]]

    init(arrayLiteral names: String...) {
        var byLength: [Int: [[UInt8]]] = [:]
        for name in names { byLength[name.utf8.count, default: []].append(Array(name.lowercased().utf8)) }
        self.byLength = byLength
    }

    func contains(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard let candidates = byLength[utf8.count] else { return false }
        for candidate in candidates where utf8.elementsEqual(candidate, by: { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }) {
            return true
        }
        return false
    }
}
