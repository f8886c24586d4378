import AsyncHTTPClient
import Foundation
import NIOCore

public protocol SMSSending: Sendable {
    func send(to number: String, message: String) async throws(DeliveryError) -> String
}

/// Semaphore (Philippine SMS gateway) `POST /api/v4/messages`.
public struct SemaphoreSMSSender: SMSSending {
    let http: ProviderHTTP
    let baseURL: String
    let apiKey: String
    let senderName: String

    public init(client: HTTPClient, baseURL: String, apiKey: String, senderName: String) {
        self.http = ProviderHTTP(client: client, name: "Semaphore")
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.senderName = senderName
    }

    /// Semaphore takes local numbers (09XXXXXXXXX); we keep E.164 (+639...).
    static func localNumber(_ e164: String) -> String {
        e164.hasPrefix("+63") ? "0" + e164.dropFirst(3) : e164
    }

    public func send(to number: String, message: String) async throws(DeliveryError) -> String {
        var form = URLComponents()
        form.queryItems = [
            URLQueryItem(name: "apikey", value: apiKey),
            URLQueryItem(name: "number", value: Self.localNumber(number)),
            URLQueryItem(name: "message", value: String(message.prefix(1530))),
            URLQueryItem(name: "sendername", value: senderName),
        ]
        var request = HTTPClientRequest(url: "\(baseURL)/api/v4/messages")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")))
        let (_, _, body) = try await http.send(request)
        let replies = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [[String: Any]]
        return (replies?.first?["message_id"]).map { "\($0)" } ?? ""
    }
}
