import HTTPTypes

/// How the gateway treats a class of routes: its rate limit and body limit.
public enum RouteClass: String, Sendable, CaseIterable {
    /// Credentials endpoints (seed 6.2 "auth API": 5/min).
    case auth
    /// Provider search (seed 6.2: 30/min).
    case search
    /// Everything else (seed 6.2: 100/min).
    case general
    /// Uploads to the file service: large bodies.
    case upload
    /// Payment provider webhooks: no rate limit (the signature is checked).
    case webhook
}

/// What the gateway decided about one request path, before any I/O.
public struct RouteDecision: Sendable, Equatable {
    /// The owning service's name (`auth`, `core`, ...).
    public var service: String
    /// No token needed (a token that is sent is still read).
    public var isPublic: Bool
    public var routeClass: RouteClass
    /// The area (`auth`, `providers`, ...), a bounded label for metrics.
    public var area: String
}

public enum RouteRefusal: Error, Equatable, Sendable {
    /// Unknown area, `/internal/...` or anything outside `/v1`.
    case notFound
    /// A path that could mean something else after normalization
    /// (`..`, encoded slashes, empty segments).
    case ambiguousPath
}

/// A method + path pattern. Segments match literally; `*` matches one
/// segment; a trailing `**` matches any rest (also nothing).
public struct RoutePattern: Sendable, Equatable, CustomStringConvertible {
    public let method: HTTPRequest.Method?
    public let segments: [String]

    public init(_ method: HTTPRequest.Method?, _ path: String) {
        self.method = method
        self.segments = path.split(separator: "/").map(String.init)
    }

    public func matches(method: HTTPRequest.Method, segments path: ArraySlice<Substring>) -> Bool {
        if let m = self.method, m != method, !(m == .get && method == .head) { return false }
        var i = path.startIndex
        for (n, pattern) in segments.enumerated() {
            if pattern == "**" { return n == segments.count - 1 }
            guard i < path.endIndex else { return false }
            if pattern != "*" && pattern != path[i] { return false }
            i += 1
        }
        return i == path.endIndex
    }

    public var description: String { "\(method?.rawValue ?? "*") /\(segments.joined(separator: "/"))" }
}

/// The routing table: `/v1/<area>/...` → the service that owns the area, plus
/// which routes are public and which rate-limit class they fall in. Built
/// from configuration; `standard` is the seed's table.
public struct RouteTable: Sendable {
    /// area → service name
    public var areas: [String: String]
    public var publicRoutes: [RoutePattern]
    /// Checked in order; the first match decides; `general` otherwise.
    public var classes: [(RoutePattern, RouteClass)]

    public init(areas: [String: String], publicRoutes: [RoutePattern], classes: [(RoutePattern, RouteClass)]) {
        self.areas = areas
        self.publicRoutes = publicRoutes
        self.classes = classes
    }

    /// DESIGN "Shape" and the issue's table.
    public static let standardAreas: [String: String] = [
        "auth": "auth",
        "users": "core", "providers": "core", "categories": "core", "bookings": "core", "reviews": "core", "chats": "core",
        "payments": "payment", "transactions": "payment", "escrow": "payment", "payouts": "payment",
        "insurance": "payment", "loans": "payment", "disputes": "payment",
        "notifications": "notification",
        "files": "file",
        "ai": "ai",
    ]

    /// Seed 6.1/7.1: what a person who is not signed in may call.
    public static let standardPublicRoutes: [RoutePattern] = [
        .init(.post, "auth/register"),
        .init(.post, "auth/login"),
        .init(.post, "auth/refresh-token"),
        // Logout takes the refresh token: it must work after the access token expired.
        .init(.post, "auth/logout"),
        .init(.post, "auth/forgot-password"),
        .init(.post, "auth/reset-password"),
        .init(.post, "auth/verify-email"),
        // Like forgot-password: takes an address, tells nothing about it, one mail a minute.
        .init(.post, "auth/verify-email/resend"),
        .init(.get, "auth/.well-known/jwks.json"),
        .init(.get, "auth/google"), .init(.get, "auth/google/callback"),
        .init(.get, "auth/facebook"), .init(.get, "auth/facebook/callback"),
        .init(.get, "categories/**"),
        .init(.get, "providers/**"),
        .init(.get, "reviews/**"),
        .init(.post, "payments/webhook"),
        // A signed URL is its own credential (HMAC + expiry, checked by the file service).
        .init(.get, "files/*/content"),
        // The chat socket: a browser cannot send Authorization on a WebSocket,
        // it brings a one-time ticket instead. Core checks the token or the
        // ticket, and the session, itself (it gets no identity headers here).
        .init(.get, "chats/live"),
    ]

    public static let standardClasses: [(RoutePattern, RouteClass)] = [
        (.init(.post, "payments/webhook"), .webhook),
        (.init(.post, "files/upload"), .upload),
        (.init(.get, "providers/search"), .search),
        (.init(.get, "auth/.well-known/jwks.json"), .general),
        (.init(.get, "auth/me"), .general),
        (.init(nil, "auth/**"), .auth),
    ]

    public static let standard = RouteTable(areas: standardAreas, publicRoutes: standardPublicRoutes, classes: standardClasses)

    /// Decides where `path` goes. Only `/v1/<known area>/...`; never `/internal`.
    public func route(method: HTTPRequest.Method, path: String) -> Result<RouteDecision, RouteRefusal> {
        guard Self.isUnambiguous(path) else { return .failure(.ambiguousPath) }
        let all = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard all.count >= 2, all.first == "v1" else { return .failure(.notFound) }
        var segments = all.dropFirst()
        // A trailing slash routes like the path without it.
        if segments.count > 1, segments.last == "" { segments = segments.dropLast() }
        let area = String(segments.first!)
        guard let service = areas[area] else { return .failure(.notFound) }
        let isPublic = publicRoutes.contains { $0.matches(method: method, segments: segments) }
        let routeClass = classes.first { $0.0.matches(method: method, segments: segments) }?.1 ?? .general
        return .success(RouteDecision(service: service, isPublic: isPublic, routeClass: routeClass, area: area))
    }

    /// Refuses paths whose meaning could change when a later hop normalizes
    /// them, so `/v1/auth/../../internal/x` can never reach `/internal`:
    /// dot segments, empty segments, percent-encoded `/`, `\`, `.` or `%`.
    static func isUnambiguous(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if segments.last == "" { segments = segments.dropLast() }
        for segment in segments {
            if segment.isEmpty || segment == "." || segment == ".." { return false }
            if segment.contains(Character("\\")) { return false }
            if let percent = segment.firstIndex(of: "%") {
                let encoded = segment[percent...].lowercased()
                for bad in ["%2f", "%5c", "%2e", "%25", "%00"] where encoded.contains(bad) { return false }
            }
        }
        return true
    }
}
