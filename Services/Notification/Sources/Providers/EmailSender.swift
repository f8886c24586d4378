import AsyncHTTPClient
import Foundation
import NIOCore

public struct OutgoingEmail: Sendable, Equatable {
    public var to: String
    public var toName: String?
    public var subject: String
    public var text: String
    public var html: String
}

public protocol EmailSending: Sendable {
    /// Returns the provider's message id.
    func send(_ email: OutgoingEmail) async throws(DeliveryError) -> String
}

/// SendGrid v3 `POST /v3/mail/send`.
public struct SendGridEmailSender: EmailSending {
    let http: ProviderHTTP
    let baseURL: String
    let apiKey: String
    let fromEmail: String
    let fromName: String

    public init(client: HTTPClient, baseURL: String, apiKey: String, fromEmail: String, fromName: String) {
        self.http = ProviderHTTP(client: client, name: "SendGrid")
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.fromEmail = fromEmail
        self.fromName = fromName
    }

    struct Address: Encodable { var email: String; var name: String? }
    struct Personalization: Encodable { var to: [Address] }
    struct Content: Encodable { var type: String; var value: String }
    struct Body: Encodable {
        var personalizations: [Personalization]
        var from: Address
        var subject: String
        var content: [Content]
    }

    public func send(_ email: OutgoingEmail) async throws(DeliveryError) -> String {
        let body = Body(
            personalizations: [Personalization(to: [Address(email: email.to, name: email.toName)])],
            from: Address(email: fromEmail, name: fromName),
            subject: email.subject,
            content: [Content(type: "text/plain", value: email.text), Content(type: "text/html", value: email.html)]
        )
        var request = HTTPClientRequest(url: "\(baseURL)/v3/mail/send")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        request.headers.add(name: "Content-Type", value: "application/json")
        guard let data = try? JSONEncoder().encode(body) else { throw .permanent("email could not be encoded") }
        request.body = .bytes(ByteBuffer(bytes: data))
        let (_, headers, _) = try await http.send(request)
        return headers.first(name: "X-Message-Id") ?? ""
    }
}
