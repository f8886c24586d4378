import Foundation
import Hummingbird
import NIOCore
import ServiceKit

/// PayMongo's API paths under `/paymongo` (`PAYMONGO_BASE_URL` of the payment
/// service points here), with Basic auth by the secret key, and the checkout
/// page a person clicks through.
struct PayMongoRoutes {
    let standIn: PayMongoStandIn
    let sender: PayMongoWebhookSender
    let secretKey: String
    /// The stand-in's address for links (the checkout page); nil: the
    /// address the API caller used.
    let publicBaseURL: String?

    func addRoutes(to router: Router<AppRequestContext>) {
        let api = router.group("paymongo/v1")
        api.post("payment_intents", use: createIntent)
        api.get("payment_intents/:id", use: retrieveIntent)
        api.post("payment_intents/:id/attach", use: attach)
        api.post("payment_methods", use: createMethod)
        api.post("refunds", use: refund)
        api.get("refunds", use: listRefunds)
        api.post("webhooks", use: createWebhook)
        router.get("paymongo/checkout/:id", use: checkoutPage)
        router.post("paymongo/checkout/:id/:decision", use: decide)
        router.get("paymongo/deliveries.json", use: deliveries)
    }

    // MARK: JSON:API

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, code: String, detail: String) -> Response {
        json(["errors": [["code": code, "detail": detail]]], status: status)
    }

    func authorized(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Basic "),
              let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) })
        else { return false }
        return decoded.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) == secretKey
    }

    /// Runs `body` with the request's `data.attributes`, after the API key check.
    func withAttributes(_ request: Request, _ body: ([String: Any]) async throws -> Response) async throws -> Response {
        guard authorized(request) else {
            return Self.error(.unauthorized, code: "authentication_failed", detail: "The API key is missing or invalid.")
        }
        let buffer = try await request.body.collect(upTo: 1 << 20)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any],
              let attributes = (object["data"] as? [String: Any])?["attributes"] as? [String: Any]
        else { return Self.error(.badRequest, code: "parameter_invalid", detail: "data.attributes is required.") }
        return try await body(attributes)
    }

    func intentJSON(_ i: PayMongoStandIn.Intent, _ request: Request) async -> [String: Any] {
        var next: Any = NSNull()
        if i.status == "awaiting_next_action" {
            let base = publicBaseURL ?? "http://\(request.head.authority ?? "127.0.0.1:4010")"
            next = ["type": "redirect", "redirect": ["url": "\(base)/paymongo/checkout/\(i.id)", "return_url": i.returnURL ?? ""]]
        }
        let payments: [[String: Any]] = i.payments.map { p in
            ["id": p.id, "type": "payment", "attributes": ["amount": p.amount, "currency": "PHP", "status": p.status, "refunded_amount": p.refunded] as [String: Any]]
        }
        return ["data": ["id": i.id, "type": "payment_intent", "attributes": [
            "amount": i.amount, "currency": "PHP", "description": i.description, "statement_descriptor": "TrustTrade", "status": i.status,
            "livemode": false, "client_key": i.clientKey, "created_at": i.createdAt, "updated_at": Int64(Date().timeIntervalSince1970),
            "last_payment_error": NSNull(), "payment_method_allowed": ["card", "gcash"], "payments": payments, "next_action": next,
            "metadata": i.metadata, "capture_type": "automatic",
        ] as [String: Any]] as [String: Any]]
    }

    @Sendable func createIntent(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await withAttributes(request) { a in
            guard let amount = (a["amount"] as? NSNumber)?.int64Value, amount >= 2000 else {
                return Self.error(.badRequest, code: "parameter_below_minimum", detail: "amount cannot be less than 2000.")
            }
            guard a["currency"] as? String == "PHP" else { return Self.error(.badRequest, code: "parameter_invalid", detail: "currency must be PHP.") }
            let metadata = (a["metadata"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            let intent = await standIn.createIntent(amount: amount, description: a["description"] as? String ?? "", metadata: metadata)
            return Self.json(await intentJSON(intent, request))
        }
    }

    @Sendable func retrieveIntent(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard authorized(request) else { return Self.error(.unauthorized, code: "authentication_failed", detail: "The API key is missing or invalid.") }
        guard let intent = await standIn.intent(context.parameters.get("id") ?? "") else {
            return Self.error(.notFound, code: "resource_not_found", detail: "No such payment intent.")
        }
        return Self.json(await intentJSON(intent, request))
    }

    @Sendable func attach(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await withAttributes(request) { a in
            do {
                let intent = try await standIn.attach(
                    intentId: context.parameters.get("id") ?? "", method: a["payment_method"] as? String ?? "",
                    clientKey: a["client_key"] as? String ?? "", returnURL: a["return_url"] as? String ?? "")
                return Self.json(await intentJSON(intent, request))
            } catch PayMongoStandIn.APIError.notFound(let what) {
                return Self.error(.notFound, code: "resource_not_found", detail: "No such \(what).")
            } catch PayMongoStandIn.APIError.invalid(let detail) {
                return Self.error(.badRequest, code: "parameter_invalid", detail: detail)
            }
        }
    }

    @Sendable func createMethod(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await withAttributes(request) { a in
            guard let type = a["type"] as? String, ["card", "gcash", "paymaya", "grab_pay"].contains(type) else {
                return Self.error(.badRequest, code: "parameter_invalid", detail: "type is not a supported payment method type.")
            }
            let id = await standIn.createMethod(type: type)
            return Self.json(["data": ["id": id, "type": "payment_method", "attributes": ["type": type, "livemode": false] as [String: Any]] as [String: Any]])
        }
    }

    /// `GET /v1/refunds?payment_id=` (PayMongo requires the payment).
    @Sendable func listRefunds(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard authorized(request) else { return Self.error(.unauthorized, code: "authentication_failed", detail: "The API key is missing or invalid.") }
        guard let paymentId = request.uri.queryParameters.get("payment_id"), !paymentId.isEmpty else {
            return Self.error(.badRequest, code: "parameter_required", detail: "payment_id is required.")
        }
        let list = await standIn.refunds(paymentId: paymentId).map(\.value)
        return Self.json(["data": list, "has_more": false])
    }

    @Sendable func refund(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await withAttributes(request) { a in
            do {
                let refund = try await standIn.refund(
                    paymentId: a["payment_id"] as? String ?? "", amount: (a["amount"] as? NSNumber)?.int64Value ?? 0,
                    reason: a["reason"] as? String ?? "others", notes: a["notes"] as? String)
                // Settled a moment later, and the merchant is told by webhook.
                if let id = refund.value["id"] as? String {
                    let (standIn, sender) = (self.standIn, self.sender)
                    Task {
                        try? await Task.sleep(for: .milliseconds(300))
                        if let event = await standIn.settleRefund(id) { await sender.deliver(event) }
                    }
                }
                return Self.json(["data": refund.value])
            } catch PayMongoStandIn.APIError.notFound(let what) {
                return Self.error(.notFound, code: "resource_not_found", detail: "No such \(what).")
            } catch PayMongoStandIn.APIError.invalid(let detail) {
                return Self.error(.badRequest, code: "parameter_invalid", detail: detail)
            }
        }
    }

    @Sendable func createWebhook(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await withAttributes(request) { a in
            guard let url = a["url"] as? String, let events = a["events"] as? [String], !events.isEmpty else {
                return Self.error(.badRequest, code: "parameter_required", detail: "url and events are required.")
            }
            let hook = await standIn.addWebhook(url: url, events: events)
            return Self.json(["data": ["id": hook.id, "type": "webhook", "attributes": [
                "url": hook.url, "events": hook.events, "secret_key": hook.secret, "status": "enabled", "livemode": false,
            ] as [String: Any]] as [String: Any]])
        }
    }

    // MARK: Checkout page

    @Sendable func checkoutPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard let intent = await standIn.intent(id) else { return Self.html("<h1>No such payment</h1>", status: .notFound) }
        let method = await standIn.methodType(intent.paymentMethod) == "card" ? "3-D Secure card check" : "GCash"
        let amount = String(format: "%.2f", Double(intent.amount) / 100)
        let open = intent.status == "awaiting_next_action"
        let page = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>PayMongo test checkout</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
            button{font-size:1.1rem;padding:.6rem 1.2rem;margin:.3rem}.ok{background:#0a7d38;color:#fff}.no{background:#b3261e;color:#fff}</style>
            </head><body>
            <p><small>TrustTrade local stand-in for PayMongo — no real money moves.</small></p>
            <h1>\(method)</h1>
            <p>Pay <strong>₱\(amount)</strong> to TrustTrade<br>\(Self.escape(intent.description))</p>
            \(open ? """
            <form method="post" action="/paymongo/checkout/\(id)/authorize"><button class="ok" type="submit">Authorize payment</button></form>
            <form method="post" action="/paymongo/checkout/\(id)/fail"><button class="no" type="submit">Fail payment</button></form>
            """ : "<p>This payment is <strong>\(Self.escape(intent.status))</strong>.</p>")
            </body></html>
            """
        return Self.html(page)
    }

    @Sendable func decide(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let decision = context.parameters.get("decision") ?? ""
        guard decision == "authorize" || decision == "fail" else { return Self.html("<h1>Unknown action</h1>", status: .notFound) }
        do {
            let (returnURL, event) = try await standIn.decide(intentId: id, authorize: decision == "authorize")
            // PayMongo notifies the merchant on its own schedule; the person goes back at once.
            let sender = self.sender
            Task { await sender.deliver(event) }
            if let returnURL, !returnURL.isEmpty {
                return Response(status: .seeOther, headers: [.location: returnURL])
            }
            return Self.html("<h1>Payment \(decision == "authorize" ? "authorized" : "failed")</h1><p>You can close this page.</p>")
        } catch {
            return Self.html("<h1>Nothing to authorize</h1><p>This payment was already decided.</p>", status: .conflict)
        }
    }

    @Sendable func deliveries(_ request: Request, context: AppRequestContext) async throws -> Response {
        let all = await standIn.deliveries.map { ["type": $0.0, "url": $0.1, "status": $0.2] as [String: Any] }
        return Self.json(["data": all])
    }

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// JSON from `JSONSerialization` handed to another task (it is only read).
struct SendableJSON: @unchecked Sendable {
    let value: [String: Any]
    init(_ value: [String: Any]) { self.value = value }
}
