import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import TrustTradeDTO

/// Only other services may call `/internal/...`: a valid service credential in
/// `X-Service-Token` or a 401. The caller's name goes into the log metadata.
public struct InternalOnlyMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    let credential: ServiceCredential

    public init(credential: ServiceCredential) { self.credential = credential }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = request.headers[.serviceToken], let caller = credential.verify(token) else {
            throw APIError.unauthorized("A service credential is required", code: .unauthorized)
        }
        var context = context
        context.logger[metadataKey: "caller"] = .string(caller)
        return try await next(request, context)
    }
}

/// An error envelope another service answered with.
public struct InternalCallError: Error, CustomStringConvertible {
    public let status: Int
    public let error: ErrorBody?
    public var description: String { "internal call failed with \(status): \(error?.message ?? "no envelope")" }
}

/// Calls another service's `/internal/...` (or public) API with the request id
/// of the request being served and this service's credential, and unwraps
/// the envelope into the DTO. Given the service's `ServiceInstances` (a
/// `*_BASE_URL` setting that may list several instances), a call whose
/// connection cannot be made goes to the next instance.
public struct InternalClient: Sendable {
    public let httpClient: HTTPClient
    public let serviceName: String
    public let credential: ServiceCredential
    public let timeout: TimeAmount

    public init(httpClient: HTTPClient = .internalNetwork, serviceName: String, credential: ServiceCredential, timeout: TimeAmount = .seconds(5)) {
        self.httpClient = httpClient
        self.serviceName = serviceName
        self.credential = credential
        self.timeout = timeout
    }

    public func get<T: Codable & Sendable>(_ url: String, requestId: String, as type: T.Type = T.self) async throws -> T {
        try await send(method: .GET, url: url, body: Optional<Int>.none, requestId: requestId)
    }

    public func post<B: Encodable & Sendable, T: Codable & Sendable>(_ url: String, body: B, requestId: String, as type: T.Type = T.self) async throws -> T {
        try await send(method: .POST, url: url, body: body, requestId: requestId)
    }

    /// `path` on one of `instances` (see `ServiceInstances` for which, and when the next one is tried).
    public func get<T: Codable & Sendable>(_ path: String, from instances: ServiceInstances, requestId: String, as type: T.Type = T.self) async throws -> T {
        try await send(method: .GET, path: path, on: instances, body: Optional<Int>.none, requestId: requestId)
    }

    public func post<B: Encodable & Sendable, T: Codable & Sendable>(_ path: String, to instances: ServiceInstances, body: B, requestId: String, as type: T.Type = T.self) async throws -> T {
        try await send(method: .POST, path: path, on: instances, body: body, requestId: requestId)
    }

    public func send<B: Encodable & Sendable, T: Codable & Sendable>(method: HTTPMethod, path: String, on instances: ServiceInstances, body: B?, requestId: String) async throws -> T {
        try await instances.execute(method: method) { baseURL in
            try await send(method: method, url: baseURL + path, body: body, requestId: requestId)
        }
    }

    public func send<B: Encodable & Sendable, T: Codable & Sendable>(method: HTTPMethod, url: String, body: B?, requestId: String) async throws -> T {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "X-Request-ID", value: requestId)
        request.headers.add(name: "X-Service-Token", value: credential.token(for: serviceName))
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try APIJSON.encoder().encode(body)))
        }
        let response = try await httpClient.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 10 << 20)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw InternalCallError(status: Int(response.status.code), error: try? APIJSON.decoder().decode(ErrorEnvelope.self, from: bytes).error)
        }
        return try APIJSON.decoder().decode(SuccessEnvelope<T>.self, from: bytes).data
    }
}
