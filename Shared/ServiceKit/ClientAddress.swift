import Hummingbird

/// The address a request came from: the first `X-Forwarded-For` hop when we
/// sit behind our own gateway, the socket's peer otherwise.
public enum ClientAddress {
    public static func of<Context: ServiceRequestContext>(_ request: Request, context: Context, trustProxy: Bool) -> String? {
        if trustProxy, let forwarded = request.headers[.forwardedFor],
           let first = forwarded.split(separator: ",").first?.trimmingCharacters(in: .whitespaces), !first.isEmpty, first.count <= 64 {
            return first
        }
        return context.remoteAddress?.ipAddress
    }
}
