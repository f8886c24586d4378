import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// PayMongo as seen from outside, in memory: payment intents, payment
/// methods, attach (→ a redirect to our checkout page), payments, refunds,
/// webhooks. A person authorizes or fails a payment on the checkout page;
/// then the registered webhooks get a signed `payment.paid` /
/// `payment.failed` event, retried with backoff until they answer 2xx.
actor PayMongoStandIn {
    struct Intent {
        var id: String
        var amount: Int64
        var description: String
        var metadata: [String: String]
        var clientKey: String
        var status = "awaiting_payment_method"
        var paymentMethod: String?
        var returnURL: String?
        var payments: [Payment] = []
        let createdAt = Int64(Date().timeIntervalSince1970)
    }

    struct Payment {
        var id: String
        var amount: Int64
        var status: String
        var method: String
        var refunded: Int64 = 0
    }

    struct Webhook {
        var id: String
        var url: String
        var secret: String
        var events: [String]
    }

    let secretKey: String
    let publicBaseURL: String
    let logger: Logger
    private(set) var intents: [String: Intent] = [:]
    private var methods: [String: String] = [:]  // id → type
    private var refunds: [String: SendableJSON] = [:]
    private(set) var webhooks: [Webhook] = []
    /// Deliveries so far, for the page and tests: (event type, url, status).
    private(set) var deliveries: [(String, String, Int)] = []

    /// Development convenience: webhooks made through the API get this
    /// secret (so a service configured with it needs no copying), instead
    /// of a fresh one as PayMongo makes.
    let fixedWebhookSecret: String?

    init(secretKey: String, publicBaseURL: String, presetWebhookURL: String?, fixedWebhookSecret: String?, logger: Logger) {
        self.secretKey = secretKey
        self.publicBaseURL = publicBaseURL
        self.fixedWebhookSecret = fixedWebhookSecret
        self.logger = logger
        if let url = presetWebhookURL {
            webhooks.append(Webhook(id: "hook_preset", url: url, secret: fixedWebhookSecret ?? Self.newId("whsk"),
                                    events: ["payment.paid", "payment.failed", "payment.refund.updated"]))
        }
    }

    static func newId(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
    }

    // MARK: API

    func createIntent(amount: Int64, description: String, metadata: [String: String]) -> Intent {
        let id = Self.newId("pi")
        let intent = Intent(id: id, amount: amount, description: description, metadata: metadata, clientKey: "\(id)_client_\(Self.newId("ck").dropFirst(3))")
        intents[id] = intent
        return intent
    }

    func createMethod(type: String) -> String {
        let id = Self.newId("pm")
        methods[id] = type
        return id
    }

    enum APIError: Error { case notFound(String), invalid(String) }

    func attach(intentId: String, method: String, clientKey: String, returnURL: String) throws -> Intent {
        guard var intent = intents[intentId] else { throw APIError.notFound("payment_intent") }
        guard intent.clientKey == clientKey else { throw APIError.invalid("client_key does not match the payment intent") }
        guard methods[method] != nil else { throw APIError.notFound("payment_method") }
        guard intent.status == "awaiting_payment_method" || intent.status == "awaiting_next_action" else {
            throw APIError.invalid("payment intent is \(intent.status)")
        }
        intent.paymentMethod = method
        intent.returnURL = returnURL
        intent.status = "awaiting_next_action"
        intents[intentId] = intent
        return intent
    }

    func intent(_ id: String) -> Intent? { intents[id] }

    func methodType(_ id: String?) -> String { id.flatMap { methods[$0] } ?? "gcash" }

    func refund(paymentId: String, amount: Int64, reason: String, notes: String?) throws -> SendableJSON {
        guard let (intentId, index) = intents.lazy.compactMap({ (k, v) in v.payments.firstIndex { $0.id == paymentId }.map { (k, $0) } }).first
        else { throw APIError.notFound("payment") }
        var intent = intents[intentId]!
        var payment = intent.payments[index]
        guard payment.status == "paid" else { throw APIError.invalid("payment is \(payment.status)") }
        guard amount > 0, amount <= payment.amount - payment.refunded else { throw APIError.invalid("amount is more than what can be refunded") }
        payment.refunded += amount
        intent.payments[index] = payment
        intents[intentId] = intent
        let id = Self.newId("ref")
        let refund: [String: Any] = ["id": id, "type": "refund", "attributes": [
            "amount": amount, "currency": "PHP", "payment_id": paymentId, "reason": reason, "status": "pending", "livemode": false,
            "notes": notes.map { $0 as Any } ?? NSNull(), "created_at": Int64(Date().timeIntervalSince1970),
        ] as [String: Any]]
        refunds[id] = SendableJSON(refund)
        return SendableJSON(refund)
    }

    /// PayMongo settles a refund later (GCash and cards take their time): the
    /// refund becomes `succeeded`; answers the `payment.refund.updated` event.
    func settleRefund(_ id: String) -> SendableJSON? {
        guard var refund = refunds[id]?.value, var attributes = refund["attributes"] as? [String: Any],
              attributes["status"] as? String == "pending" else { return nil }
        let now = Int64(Date().timeIntervalSince1970)
        attributes["status"] = "succeeded"
        attributes["updated_at"] = now
        refund["attributes"] = attributes
        refunds[id] = SendableJSON(refund)
        return SendableJSON(["data": ["id": Self.newId("evt"), "type": "event", "attributes": [
            "type": "payment.refund.updated", "livemode": false, "created_at": now, "updated_at": now, "previous_data": [String: Any](),
            "data": refund,
        ] as [String: Any]] as [String: Any]])
    }

    /// A payment's refunds, newest first.
    func refunds(paymentId: String) -> [SendableJSON] {
        refunds.values.filter { (($0.value["attributes"] as? [String: Any])?["payment_id"] as? String) == paymentId }
            .sorted { Self.createdAt($0) > Self.createdAt($1) }
    }

    static func createdAt(_ json: SendableJSON) -> Int64 {
        ((json.value["attributes"] as? [String: Any])?["created_at"] as? NSNumber)?.int64Value ?? 0
    }

    func addWebhook(url: String, events: [String]) -> Webhook {
        let hook = Webhook(id: Self.newId("hook"), url: url, secret: fixedWebhookSecret ?? Self.newId("whsk"), events: events)
        webhooks.append(hook)
        return hook
    }

    // MARK: Checkout

    /// The person's decision on the checkout page; answers where to send them.
    func decide(intentId: String, authorize: Bool) throws -> (returnURL: String?, event: SendableJSON) {
        guard var intent = intents[intentId], intent.status == "awaiting_next_action" else { throw APIError.invalid("nothing to authorize") }
        let payment = Payment(id: Self.newId("pay"), amount: intent.amount, status: authorize ? "paid" : "failed", method: methodType(intent.paymentMethod))
        intent.payments.append(payment)
        intent.status = authorize ? "succeeded" : "awaiting_payment_method"
        intents[intentId] = intent
        return (intent.returnURL, SendableJSON(Self.event(type: authorize ? "payment.paid" : "payment.failed", payment: payment, intent: intent)))
    }

    static func event(type: String, payment: Payment, intent: Intent) -> [String: Any] {
        let now = Int64(Date().timeIntervalSince1970)
        return ["data": ["id": newId("evt"), "type": "event", "attributes": [
            "type": type, "livemode": false, "created_at": now, "updated_at": now, "previous_data": [String: Any](),
            "data": ["id": payment.id, "type": "payment", "attributes": [
                "amount": payment.amount, "currency": "PHP", "status": payment.status, "payment_intent_id": intent.id,
                "description": intent.description, "metadata": intent.metadata, "livemode": false,
                "source": ["type": payment.method], "fee": payment.amount * 25 / 1000, "net_amount": payment.amount - payment.amount * 25 / 1000,
                "paid_at": payment.status == "paid" ? now : NSNull(), "created_at": now, "updated_at": now,
            ] as [String: Any]] as [String: Any],
        ] as [String: Any]] as [String: Any]]
    }

    func recordDelivery(_ type: String, _ url: String, _ status: Int) {
        deliveries.append((type, url, status))
    }

    func webhooks(for type: String) -> [Webhook] { webhooks.filter { $0.events.contains(type) } }
}

/// Sends a webhook event to every registered endpoint that wants it, signed
/// as PayMongo signs (`Paymongo-Signature: t=…,te=…,li=`), retrying with
/// backoff (1 s, 2 s, 4 s, … up to 6 tries) until the endpoint answers 2xx.
struct PayMongoWebhookSender: Sendable {
    let standIn: PayMongoStandIn
    let http: HTTPClient
    let logger: Logger
    var firstRetryDelay: Duration = .seconds(1)

    func deliver(_ json: SendableJSON) async {
        let event = json.value
        let type = ((event["data"] as? [String: Any])?["attributes"] as? [String: Any])?["type"] as? String ?? ""
        guard let body = try? JSONSerialization.data(withJSONObject: event) else { return }
        // Each endpoint on its own, as PayMongo does: one that is down and
        // retried does not hold back the others.
        await withTaskGroup(of: Void.self) { group in
            for hook in await standIn.webhooks(for: type) {
                group.addTask { await deliver(Array(body), type: type, to: hook) }
            }
        }
    }

    private func deliver(_ body: [UInt8], type: String, to hook: PayMongoStandIn.Webhook) async {
        var delay = firstRetryDelay
        for attempt in 1...6 {
            let status = await send(body, to: hook)
            await standIn.recordDelivery(type, hook.url, status)
            if (200..<300).contains(status) { return }
            logger.info("webhook not accepted; retrying", metadata: ["url": .string(hook.url), "status": .stringConvertible(status), "attempt": .stringConvertible(attempt)])
            try? await Task.sleep(for: delay)
            delay *= 2
        }
    }

    func send(_ body: [UInt8], to hook: PayMongoStandIn.Webhook) async -> Int {
        let t = String(Int64(Date().timeIntervalSince1970))
        var mac = HMAC<SHA256>(key: SymmetricKey(data: Data(hook.secret.utf8)))
        mac.update(data: Array(t.utf8) + [UInt8(ascii: ".")] + body)
        let signature = mac.finalize().map { String(format: "%02x", $0) }.joined()
        var request = HTTPClientRequest(url: hook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Paymongo-Signature", value: "t=\(t),te=\(signature),li=")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(10))
            _ = try? await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        } catch {
            return 0
        }
    }
}
