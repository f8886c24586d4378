import Foundation
import Hummingbird
import ServiceKit

/// SendGrid v3 `POST /v3/mail/send`, as the real API takes it: Bearer API
/// key, `personalizations[].to[]`, `from`, `subject`, `content[]`; 202 with
/// `X-Message-Id`. Recipients with `+throttle` get one 429 first; `+reject`
/// gets a permanent 400, so clients' retry rules can be tested.
struct SendGridRoutes {
    let apiKey: String
    let messages: DeliveredMessages

    struct Address: Codable { var email: String; var name: String? }
    struct Personalization: Codable { var to: [Address]; var subject: String? }
    struct Content: Codable { var type: String; var value: String }
    struct MailSend: Codable {
        var personalizations: [Personalization]
        var from: Address
        var subject: String?
        var content: [Content]?
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("sendgrid/v3/mail/send", use: send)
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) -> Response {
        let body: [String: [[String: String?]]] = ["errors": [["message": message, "field": field]]]
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard request.headers[.authorization] == "Bearer \(apiKey)" else {
            return Self.error(.unauthorized, "The provided authorization grant is invalid, expired, or revoked")
        }
        let buffer = try await request.body.collect(upTo: 30 * 1024 * 1024)
        guard let mail = try? JSONDecoder().decode(MailSend.self, from: buffer) else {
            return Self.error(.badRequest, "Bad Request: body is not a valid mail/send request")
        }
        let recipients = mail.personalizations.flatMap(\.to).map(\.email)
        guard !recipients.isEmpty, recipients.allSatisfy({ $0.contains("@") }) else {
            return Self.error(.badRequest, "Does not contain a valid address.", field: "personalizations.0.to")
        }
        guard let subject = mail.personalizations.first?.subject ?? mail.subject, !subject.isEmpty else {
            return Self.error(.badRequest, "The subject is required.", field: "subject")
        }
        guard let content = mail.content, !content.isEmpty else {
            return Self.error(.badRequest, "Unless a valid template_id is provided, the content parameter is required.", field: "content")
        }
        if recipients.contains(where: { $0.contains("+reject") }) {
            return Self.error(.badRequest, "The to email does not contain a valid address.", field: "personalizations.0.to.0.email")
        }
        if let throttled = recipients.first(where: { $0.contains("+throttle") }), await messages.throttleOnce("mail:\(throttled):\(subject)") {
            var response = Self.error(.tooManyRequests, "too many requests")
            response.headers[.retryAfter] = "1"
            return response
        }
        let id = await messages.nextId("sg")
        await messages.record(DeliveredMessages.Email(
            id: id, to: recipients, from: mail.from.email, subject: subject,
            text: content.first { $0.type == "text/plain" }?.value,
            html: content.first { $0.type == "text/html" }?.value,
            receivedAt: Date()
        ))
        var headers = HTTPFields()
        headers[.init("X-Message-Id")!] = id
        return Response(status: .accepted, headers: headers)
    }
}
