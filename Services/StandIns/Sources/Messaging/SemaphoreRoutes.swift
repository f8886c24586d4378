import Foundation
import Hummingbird
import ServiceKit

/// Semaphore (Philippine SMS gateway) `POST /api/v4/messages` with `apikey`,
/// `number`, `message`, `sendername`, form- or JSON-encoded; answers the
/// list of queued messages as Semaphore does.
struct SemaphoreRoutes {
    let apiKey: String
    let messages: DeliveredMessages

    struct SendParams: Codable {
        var apikey: String?
        var number: String?
        var message: String?
        var sendername: String?
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("semaphore/api/v4/messages", use: send)
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let params: SendParams
        if request.headers[.contentType]?.contains("json") == true {
            params = (try? JSONDecoder().decode(SendParams.self, from: buffer)) ?? SendParams()
        } else {
            params = (try? URLEncodedFormDecoder().decode(SendParams.self, from: String(buffer: buffer))) ?? SendParams()
        }
        guard params.apikey == apiKey else { return Self.json(.unauthorized, ["apikey": ["The apikey is invalid."]]) }
        guard let message = params.message, !message.isEmpty, message.count <= 1530 else {
            return Self.json(.unprocessableContent, ["message": ["The message field is required (at most 1530 characters)."]])
        }
        let numbers = (params.number ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let valid = numbers.allSatisfy { n in
            let digits = n.filter(\.isNumber)
            return (digits.hasPrefix("09") && digits.count == 11) || (digits.hasPrefix("639") && digits.count == 12)
        }
        guard !numbers.isEmpty, valid else { return Self.json(.unprocessableContent, ["number": ["The number format is invalid."]]) }
        if numbers.contains(where: { $0.hasSuffix("0000000") }), await messages.throttleOnce("sms:\(numbers[0]):\(message)") {
            return Self.json(.tooManyRequests, ["error": "Too many requests"])
        }
        var replies: [[String: String]] = []
        for number in numbers {
            let id = await messages.nextId("sms")
            await messages.record(DeliveredMessages.SMS(id: id, number: number, sender: params.sendername, message: message, receivedAt: Date()))
            replies.append([
                "message_id": id, "recipient": number, "message": message,
                "sender_name": params.sendername ?? "SEMAPHORE", "status": "Pending", "network": "Globe",
            ])
        }
        return Self.json(.ok, replies)
    }
}
