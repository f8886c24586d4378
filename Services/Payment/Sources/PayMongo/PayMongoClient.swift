import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import TrustTradeDTO

/// PayMongo's REST API (https://api.paymongo.com/v1, or the local stand-in):
/// JSON:API bodies, the secret key as the Basic-auth user name, amounts in
/// centavos. Only what the escrow needs: payment intents, payment methods,
/// attach, retrieve, refunds.
public struct PayMongoClient: Sendable {
    let baseURL: String
    let secretKey: String
    let http: HTTPClient
    let timeout: TimeAmount

    public init(baseURL: String, secretKey: String, http: HTTPClient, timeout: TimeAmount = .seconds(15)) {
        self.baseURL = baseURL.withoutTrailingSlash
        self.secretKey = secretKey
        self.http = http
        self.timeout = timeout
    }

    /// PayMongo answered with an error (`errors[].code/detail`), or not at all.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let status: Int
        public let code: String?
        public let detail: String
        /// Worth trying again later (rate limited, PayMongo down).
        public var isRetryable: Bool { status == 429 || status >= 500 || status == 0 }
        public var description: String { "PayMongo \(status) \(code ?? ""): \(detail)" }
    }

    public struct PaymentIntent: Sendable, Equatable {
        public var id: String
        public var amount: Int64
        public var currency: String
        public var status: String
        public var clientKey: String
        /// Where the person authorizes (GCash, 3-D Secure), after attach.
        public var redirectURL: String?
        /// Payments made on the intent: (id, status).
        public var payments: [(id: String, status: String)]

        public static func == (a: Self, b: Self) -> Bool {
            a.id == b.id && a.status == b.status && a.redirectURL == b.redirectURL && a.payments.map(\.id) == b.payments.map(\.id)
        }
    }

    public struct Refund: Sendable, Equatable {
        public var id: String
        public var amount: Int64
        public var status: String
        public var notes: String?
    }

    // MARK: Calls

    public func createPaymentIntent(amount: Int64, description: String, metadata: [String: String]) async throws -> PaymentIntent {
        let body: [String: Any] = ["data": ["attributes": [
            "amount": amount, "currency": "PHP", "payment_method_allowed": ["card", "gcash"],
            "payment_method_options": ["card": ["request_three_d_secure": "any"]],
            "capture_type": "automatic", "description": description, "statement_descriptor": "TrustTrade", "metadata": metadata,
        ]]]
        return try Self.intent(try await send(.POST, "/v1/payment_intents", body))
    }

    /// A payment method of `type` (`gcash` or `card`, with the card's details).
    public func createPaymentMethod(type: String, details: [String: Any]? = nil, billing: [String: Any]? = nil) async throws -> String {
        var attributes: [String: Any] = ["type": type]
        if let details { attributes["details"] = details }
        if let billing { attributes["billing"] = billing }
        let data = try await send(.POST, "/v1/payment_methods", ["data": ["attributes": attributes]])
        guard let id = data["id"] as? String else { throw Failure(status: 200, code: nil, detail: "payment method without an id") }
        return id
    }

    public func attach(intentId: String, paymentMethod: String, clientKey: String, returnURL: String) async throws -> PaymentIntent {
        let body: [String: Any] = ["data": ["attributes": ["payment_method": paymentMethod, "client_key": clientKey, "return_url": returnURL]]]
        return try Self.intent(try await send(.POST, "/v1/payment_intents/\(intentId)/attach", body))
    }

    public func retrievePaymentIntent(_ id: String) async throws -> PaymentIntent {
        try Self.intent(try await send(.GET, "/v1/payment_intents/\(id)", nil))
    }

    public func createRefund(paymentId: String, amount: Int64, reason: String, notes: String?) async throws -> Refund {
        var attributes: [String: Any] = ["amount": amount, "payment_id": paymentId, "reason": reason]
        if let notes { attributes["notes"] = notes }
        let data = try await send(.POST, "/v1/refunds", ["data": ["attributes": attributes]])
        let a = data["attributes"] as? [String: Any] ?? [:]
        return Refund(id: data["id"] as? String ?? "", amount: Self.int(a["amount"]), status: a["status"] as? String ?? "pending",
                      notes: a["notes"] as? String)
    }

    /// The payment's refunds (`GET /v1/refunds?payment_id=`), newest first.
    public func refunds(paymentId: String) async throws -> [Refund] {
        let query = paymentId.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? paymentId
        let (json, _) = try await call(.GET, "/v1/refunds?payment_id=\(query)&limit=100", nil)
        return (json["data"] as? [[String: Any]] ?? []).map { data in
            let a = data["attributes"] as? [String: Any] ?? [:]
            return Refund(id: data["id"] as? String ?? "", amount: Self.int(a["amount"]), status: a["status"] as? String ?? "pending",
                          notes: a["notes"] as? String)
        }
    }

    // MARK: Wire

    /// Sends a JSON:API request; answers the `data` object.
    func send(_ method: HTTPMethod, _ path: String, _ body: [String: Any]?) async throws -> [String: Any] {
        let (json, status) = try await call(method, path, body)
        guard let data = json["data"] as? [String: Any] else { throw Failure(status: status, code: nil, detail: "no data") }
        return data
    }

    /// Sends a JSON:API request; answers the whole document and the status.
    func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any]?) async throws -> ([String: Any], Int) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        let basic = Data("\(secretKey):".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(basic)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw Failure(status: 0, code: nil, detail: "no answer: \(error)")
        }
        let bytes = try await response.body.collect(upTo: 2 * 1024 * 1024)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
        guard (200..<300).contains(Int(response.status.code)) else {
            let first = (json["errors"] as? [[String: Any]])?.first
            throw Failure(status: Int(response.status.code), code: first?["code"] as? String,
                          detail: first?["detail"] as? String ?? "HTTP \(response.status.code)")
        }
        return (json, Int(response.status.code))
    }

    static func intent(_ data: [String: Any]) throws -> PaymentIntent {
        let a = data["attributes"] as? [String: Any] ?? [:]
        let next = a["next_action"] as? [String: Any]
        let redirect = (next?["redirect"] as? [String: Any])?["url"] as? String
        let payments = (a["payments"] as? [[String: Any]] ?? []).map { p in
            (id: p["id"] as? String ?? "", status: (p["attributes"] as? [String: Any])?["status"] as? String ?? "")
        }
        guard let id = data["id"] as? String, let clientKey = a["client_key"] as? String else {
            throw Failure(status: 200, code: nil, detail: "payment intent without id or client key")
        }
        return PaymentIntent(id: id, amount: int(a["amount"]), currency: a["currency"] as? String ?? "PHP",
                             status: a["status"] as? String ?? "", clientKey: clientKey, redirectURL: redirect, payments: payments)
    }

    static func int(_ value: Any?) -> Int64 {
        (value as? NSNumber)?.int64Value ?? 0
    }
}
