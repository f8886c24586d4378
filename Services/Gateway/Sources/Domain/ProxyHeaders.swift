import HTTPTypes

/// Which headers cross the gateway (RFC 9110 §7.6.1 for hop-by-hop).
public enum ProxyHeaders {
    /// Meaningful for one connection only; never forwarded either way.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Set by the gateway alone: a client sending them must not be believed
    /// (identity, service credential, forwarding chain, request framing).
    static let setByGateway: Set<String> = [
        "x-user-id", "x-user-type", "x-session-id", "x-user-email", "x-service-token",
        "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip", "forwarded",
        "x-request-id", "host", "content-length", "expect",
    ]

    /// Rate-limit headers are the gateway's to set on the way back.
    static let answeredByGateway: Set<String> = [
        "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
        "x-ratelimit-limit-minute", "x-ratelimit-remaining-minute",
    ]

    /// Names listed in `Connection` (`Connection: close, X-Debug`) are hop-by-hop too.
    static func connectionListed(_ fields: HTTPFields) -> Set<String> {
        var names: Set<String> = []
        for value in fields[values: .connection] {
            for token in value.split(separator: ",") {
                names.insert(token.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        return names
    }

    /// The client's headers that may go upstream.
    public static func forwardable(request fields: HTTPFields) -> [HTTPField] {
        let listed = connectionListed(fields)
        return fields.filter { field in
            let name = field.name.canonicalName
            return !hopByHop.contains(name) && !setByGateway.contains(name) && !listed.contains(name)
        }
    }

    /// The upstream's headers that may go back to the client. `Content-Length`
    /// is carried by the streamed body instead.
    public static func returnable(response fields: HTTPFields) -> [HTTPField] {
        let listed = connectionListed(fields)
        return fields.filter { field in
            let name = field.name.canonicalName
            return !hopByHop.contains(name) && !listed.contains(name) && name != "content-length"
                && !answeredByGateway.contains(name)
        }
    }
}
