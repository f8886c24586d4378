import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// How a provider answered a send, in the terms the worker acts on.
public enum DeliveryError: Error, CustomStringConvertible, Equatable {
    /// 429, 5xx, a network failure: try again later (the job's backoff).
    case retryable(String)
    /// A 4xx that will not change by retrying: fail the job with this reason.
    case permanent(String)
    /// FCM says the device token is gone: forget the token.
    case unregistered

    public var description: String {
        switch self {
        case .retryable(let why): "retryable: \(why)"
        case .permanent(let why): "permanent: \(why)"
        case .unregistered: "device token unregistered"
        }
    }
}

/// One HTTP exchange with a provider, with its reply classified.
struct ProviderHTTP: Sendable {
    let client: HTTPClient
    let name: String

    func send(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(10)) async throws(DeliveryError) -> (HTTPResponseStatus, HTTPHeaders, ByteBuffer) {
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw .retryable("\(name) unreachable: \(error)")
        }
        let code = Int(response.status.code)
        if (200..<300).contains(code) { return (response.status, response.headers, body) }
        let detail = String(buffer: body).prefix(300)
        if code == 429 || code >= 500 || code == 408 { throw .retryable("\(name) answered \(code): \(detail)") }
        throw .permanent("\(name) answered \(code): \(detail)")
    }
}
