import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Redis
import TrustTradeDTO

/// `Idempotency-Key` on requests that move money (as Stripe and PayMongo
/// take it): the first answer is kept 24 h and replayed for the same key
/// (`Idempotent-Replayed: true`); the same key with another request is a
/// 422; the same key while the first is still running is a 409. Keys belong
/// to the caller (user id, else address). A failed first try (an error) is
/// forgotten, so it can be tried again.
///
/// "Still running" is a lease of `runningLeaseSeconds` (longer than any
/// request may take behind the gateway), not of the whole 24 h: an instance
/// killed in the middle of a request leaves it behind, and the client's retry
/// must not be refused for a day. A retry after the lease runs the request
/// again; what it moves is guarded where the money is (escrow moves once,
/// payouts within the balance, row locks), as after any lost answer.
public struct IdempotencyMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    let redis: RedisClient
    let service: String
    let lifetimeSeconds: Int
    let runningLeaseSeconds: Int

    public init(redis: RedisClient, service: String, lifetimeSeconds: Int = 86_400, runningLeaseSeconds: Int = 120) {
        self.redis = redis
        self.service = service
        self.lifetimeSeconds = lifetimeSeconds
        self.runningLeaseSeconds = min(runningLeaseSeconds, lifetimeSeconds)
    }

    static var header: HTTPField.Name { HTTPField.Name("Idempotency-Key")! }

    struct Stored: Codable {
        var fingerprint: String
        var done: Bool
        var status: Int?
        var contentType: String?
        var body: String?
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post || request.method == .put || request.method == .patch,
              let key = request.headers[Self.header] else {
            return try await next(request, context)
        }
        guard (1...255).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw APIError.validation("Idempotency-Key", "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let owner = context.identity.map { $0.userId.uuidString.lowercased() } ?? context.remoteAddress?.ipAddress ?? "anonymous"
        let redisKey = "idempotency:\(service):\(owner):\(key)"
        var hasher = SHA256()
        hasher.update(data: Data("\(request.method.rawValue) \(request.uri.path)\n".utf8))
        hasher.update(data: Self.canonical(body))
        let fingerprint = hasher.finalize().map { String(format: "%02x", $0) }.joined()

        let running = Stored(fingerprint: fingerprint, done: false)
        let claimed = try await redis.set(redisKey, String(decoding: try JSONEncoder().encode(running), as: UTF8.self),
                                          expiration: .seconds(runningLeaseSeconds), condition: .ifNotExists)
        if !claimed {
            guard let raw = try await redis.get(redisKey), let stored = try? JSONDecoder().decode(Stored.self, from: Data(raw.utf8)) else {
                throw APIError.conflict("A request with this Idempotency-Key is still being processed")
            }
            guard stored.fingerprint == fingerprint else {
                throw APIError(.unprocessableContent, code: .unprocessable,
                               message: "This Idempotency-Key was used for a different request; use a new key")
            }
            guard stored.done, let status = stored.status else {
                throw APIError.conflict("A request with this Idempotency-Key is still being processed")
            }
            var headers: HTTPFields = [Self.replayedHeader: "true"]
            if let type = stored.contentType { headers[.contentType] = type }
            let bytes = ByteBuffer(string: stored.body ?? "")
            headers[.contentLength] = String(bytes.readableBytes)
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: bytes))
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            _ = try? await redis.del(redisKey)
            throw error
        }
        // Keep the answer, then send the same bytes on.
        let collector = BodyCollector()
        var answer = response
        try await answer.body.write(CollectingWriter(collector: collector))
        let bytes = collector.buffer
        let done = Stored(fingerprint: fingerprint, done: true, status: Int(response.status.code),
                          contentType: response.headers[.contentType], body: String(buffer: bytes))
        _ = try? await redis.set(redisKey, String(decoding: try JSONEncoder().encode(done), as: UTF8.self), expiration: .seconds(lifetimeSeconds))
        answer.body = .init(byteBuffer: bytes)
        return answer
    }

    static var replayedHeader: HTTPField.Name { HTTPField.Name("Idempotent-Replayed")! }

    /// The same JSON in any key order or spacing is the same request.
    static func canonical(_ body: ByteBuffer) -> Data {
        let raw = Data(buffer: body)
        guard let object = try? JSONSerialization.jsonObject(with: raw, options: [.fragmentsAllowed]),
              let sorted = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])
        else { return raw }
        return sorted
    }
}

/// Gathers a response body (it is small JSON here).
final class BodyCollector: @unchecked Sendable {
    var buffer = ByteBuffer()
}

struct CollectingWriter: ResponseBodyWriter {
    let collector: BodyCollector
    mutating func write(_ buffer: ByteBuffer) async throws {
        var copy = buffer
        collector.buffer.writeBuffer(&copy)
    }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
