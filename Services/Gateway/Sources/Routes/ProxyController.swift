import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceKit
import TrustTradeDTO

/// The gateway's one route: every `/v1/...` request is routed, authenticated,
/// rate limited and streamed to an instance of the owning service.
public struct ProxyController<Context: ServiceRequestContext>: Sendable {
    let config: GatewayConfig
    let verifier: TokenVerifier
    let limiter: RateLimiter
    let proxy: UpstreamProxy

    public init(config: GatewayConfig, verifier: TokenVerifier, limiter: RateLimiter, proxy: UpstreamProxy) {
        self.config = config
        self.verifier = verifier
        self.limiter = limiter
        self.proxy = proxy
    }

    public func addRoutes(to router: Router<Context>) {
        for method: HTTPRequest.Method in [.get, .post, .put, .patch, .delete, .head, .options] {
            router.on("**", method: method) { request, context in try await self.forward(request, context: context) }
        }
    }

    func forward(_ request: Request, context: Context) async throws -> Response {
        let route: RouteDecision
        switch config.routes.route(method: request.method, path: request.uri.path) {
        case .success(let decision): route = decision
        case .failure(.notFound): throw APIError.notFound("No such route")
        case .failure(.ambiguousPath):
            throw APIError.badRequest("The path has dot segments, empty segments or encoded separators")
        }
        let started = ContinuousClock.now
        do {
            let response = try await admitAndSend(request, context: context, route: route)
            record(route, status: response.status.code, since: started)
            return response
        } catch {
            let status = (error as? APIError)?.status.code ?? 500
            record(route, status: status, since: started)
            throw error
        }
    }

    private func admitAndSend(_ request: Request, context: Context, route: RouteDecision) async throws -> Response {
        let client = clientAddress(request, context: context)
        let identity = try await authenticate(request, route: route, clientIP: client.ip)

        let maxBody = config.bodyLimits[route.routeClass] ?? (1 << 20)
        let declaredLength = request.headers[.contentLength].flatMap { Int($0) }
        if let declaredLength, declaredLength > maxBody { throw Self.tooLarge(maxBody) }

        let policy = route.routeClass == .webhook ? nil : config.limits[route.routeClass]
        let subject = identity.map { "user:\($0.userId.uuidString.lowercased())" } ?? "ip:\(client.ip)"
        let admission = await limiter.admit(
            subject: subject, routeClass: route.routeClass, policy: policy,
            sessionId: route.isPublic ? nil : identity?.sessionId)
        let rateHeaders = admission.decision.map { Self.rateLimitHeaders($0, windowSeconds: policy?.windowSeconds ?? 60) } ?? [:]
        switch admission.outcome {
        case .admitted: break
        case .sessionEnded: throw APIError.unauthorized("Session has ended; sign in again", code: .sessionRevoked)
        case .rateLimited:
            var error = APIError.tooManyRequests(retryAfterSeconds: admission.decision?.retryAfterSeconds ?? 1)
            error.headers.append(contentsOf: rateHeaders)
            throw error
        case .unavailable: throw APIError.unavailable("The gateway cannot check limits and sessions right now; try again shortly")
        }

        do {
            return try await send(request, context: context, route: route, identity: route.isPublic ? nil : identity,
                                  client: client, declaredLength: declaredLength, maxBody: maxBody, rateHeaders: rateHeaders)
        } catch var error as APIError {
            error.headers.append(contentsOf: rateHeaders)
            throw error
        }
    }

    /// A valid token identifies the caller. Protected routes need one; on a
    /// public route a bad token is ignored (the service decides).
    /// Failed attempts count against the caller's address, so nobody can
    /// make us verify forged signatures without limit.
    private func authenticate(_ request: Request, route: RouteDecision, clientIP: String) async throws -> Identity? {
        do {
            guard let header = request.headers[.authorization] else { throw APIError.unauthorized() }
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError.unauthorized("Use Authorization: Bearer <access token>", code: .tokenInvalid)
            }
            return try await verifier.verifyWithoutSession(String(parts[1].drop { $0 == " " }))
        } catch {
            if route.isPublic { return nil }
            let admission = await limiter.admit(
                subject: "ip:\(clientIP)", routeClass: .general, policy: config.limits[.general], sessionId: nil)
            if admission.outcome == .rateLimited, let decision = admission.decision {
                var refusal = APIError.tooManyRequests(retryAfterSeconds: decision.retryAfterSeconds ?? 1)
                refusal.headers.append(contentsOf: Self.rateLimitHeaders(decision, windowSeconds: config.limits[.general]?.windowSeconds ?? 60))
                throw refusal
            }
            throw error
        }
    }

    private func send(
        _ request: Request, context: Context, route: RouteDecision, identity: Identity?,
        client: (ip: String, forwardedFor: String), declaredLength: Int?, maxBody: Int, rateHeaders: HTTPFields
    ) async throws -> Response {
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 8)
        for field in ProxyHeaders.forwardable(request: request.headers) {
            headers.add(name: field.name.rawName, value: field.value)
        }
        headers.add(name: "X-Request-ID", value: context.requestId)
        headers.add(name: "X-Forwarded-For", value: client.forwardedFor)
        headers.add(name: "X-Forwarded-Proto", value: forwardedProto(request, context: context))
        if let host = request.head.authority { headers.add(name: "X-Forwarded-Host", value: host) }
        if let identity {
            headers.add(name: "X-User-Id", value: identity.userId.uuidString.lowercased())
            headers.add(name: "X-User-Type", value: identity.userType.rawValue)
            headers.add(name: "X-Session-Id", value: identity.sessionId)
        }

        let body: UpstreamRequest.Body
        let chunked = request.headers[.transferEncoding] != nil
        if !chunked && (declaredLength ?? 0) == 0 {
            body = .none
        } else if let declaredLength, declaredLength <= config.replayableBodyLimit {
            body = .bytes(try await request.body.collect(upTo: declaredLength))
        } else {
            body = .stream(LimitedBody(request.body, limit: maxBody), length: declaredLength)
        }
        let outgoing = UpstreamRequest(
            method: HTTPMethod(rawValue: request.method.rawValue), target: request.head.path ?? request.uri.path,
            headers: headers, body: body)

        let upstream: HTTPClientResponse
        let lease: InFlightLease
        do {
            (upstream, lease, _) = try await proxy.send(outgoing, to: route.service, logger: context.logger)
        } catch {
            throw Self.apiError(for: error, service: route.service, maxBody: maxBody)
        }

        var fields = HTTPFields()
        fields.reserveCapacity(upstream.headers.count + 6)
        var upstreamFields = HTTPFields()
        for (name, value) in upstream.headers {
            if let name = HTTPField.Name(name) { upstreamFields.append(HTTPField(name: name, value: value)) }
        }
        fields.append(contentsOf: ProxyHeaders.returnable(response: upstreamFields))
        fields.append(contentsOf: rateHeaders)
        let status = HTTPResponse.Status(code: Int(upstream.status.code), reasonPhrase: upstream.status.reasonPhrase)
        let length = upstream.headers.first(name: "content-length").flatMap { Int($0) }
        let upstreamBody = upstream.body

        if request.method == .head || status.code == 204 || status.code == 304 {
            for try await _ in upstreamBody {}
            lease.release()
            if request.method == .head, let length { fields[.contentLength] = String(length) }
            return Response(status: status, headers: fields, body: ResponseBody())
        }
        return Response(status: status, headers: fields, body: ResponseBody(contentLength: length) { writer in
            defer { lease.release() }
            for try await chunk in upstreamBody {
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        })
    }

    /// The caller's address, and the `X-Forwarded-For` chain to send on: from a
    /// trusted proxy the chain grows; from anyone else it starts afresh.
    private func clientAddress(_ request: Request, context: Context) -> (ip: String, forwardedFor: String) {
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        if config.trustedProxies.contains(peer), let chain = request.headers[.forwardedFor],
           let first = chain.split(separator: ",").first?.trimmingCharacters(in: .whitespaces), !first.isEmpty {
            return (first, "\(chain), \(peer)")
        }
        return (peer, peer)
    }

    private func forwardedProto(_ request: Request, context: Context) -> String {
        let peer = context.remoteAddress?.ipAddress ?? ""
        if config.trustedProxies.contains(peer), let proto = request.headers[.forwardedProto], proto == "https" || proto == "http" {
            return proto
        }
        return "http"
    }

    static func apiError(for failure: UpstreamFailure, service: String, maxBody: Int) -> APIError {
        switch failure {
        case .unavailable:
            APIError(.serviceUnavailable, code: .serviceUnavailable, message: "The \(service) service is unavailable; try again shortly", headers: [.retryAfter: "1"])
        case .timedOut:
            APIError(.gatewayTimeout, code: .gatewayTimeout, message: "The \(service) service did not answer in time")
        case .badReply:
            APIError(.badGateway, code: .badGateway, message: "The \(service) service gave a broken reply")
        case .bodyTooLarge:
            tooLarge(maxBody)
        }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: .payloadTooLarge, message: "The request body is larger than this route accepts (\(limit) bytes)")
    }

    /// IETF RateLimit headers plus Kong's per-minute pair.
    static func rateLimitHeaders(_ decision: RateLimitDecision, windowSeconds: Int) -> HTTPFields {
        var fields: HTTPFields = [
            .rateLimitLimit: String(decision.limit),
            .rateLimitRemaining: String(decision.remaining),
            .rateLimitReset: String(decision.resetSeconds),
        ]
        if windowSeconds == 60 {
            fields[.kongLimitMinute] = String(decision.limit)
            fields[.kongRemainingMinute] = String(decision.remaining)
        }
        return fields
    }

    private func record(_ route: RouteDecision, status: Int, since started: ContinuousClock.Instant) {
        Counter(label: "gateway_requests_total", dimensions: [("service", route.service), ("area", route.area), ("status", String(status))]).increment()
        let elapsed = ContinuousClock.now - started
        Timer(label: "gateway_request_duration_seconds", dimensions: [("service", route.service)])
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = Self("RateLimit-Limit")!
    static let rateLimitRemaining = Self("RateLimit-Remaining")!
    static let rateLimitReset = Self("RateLimit-Reset")!
    static let kongLimitMinute = Self("X-RateLimit-Limit-Minute")!
    static let kongRemainingMinute = Self("X-RateLimit-Remaining-Minute")!
}
