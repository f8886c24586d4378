import Foundation
import Hummingbird
import ServiceKit

/// The dev mailbox: every email, SMS and push the stand-ins accepted, as a
/// page a person can read (and click a verification link in) and as JSON.
struct MailboxRoutes {
    let messages: DeliveredMessages

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("mailbox", use: page)
        router.get("mailbox/messages.json", use: all)
        router.get("mailbox/emails/:id", use: email)
    }

    struct Everything: Encodable {
        var emails: [DeliveredMessages.Email]
        var sms: [DeliveredMessages.SMS]
        var pushes: [DeliveredMessages.Push]
    }

    @Sendable func all(_ request: Request, context: AppRequestContext) async throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(Everything(emails: await messages.emails, sms: await messages.sms, pushes: await messages.pushes))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func html(_ title: String, _ body: String) -> Response {
        let page = """
            <!doctype html><html><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>body{font-family:sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}h2{margin-top:2rem}</style>
            </head><body>\(body)</body></html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let time = ISO8601DateFormatter()
        let emails = await messages.emails.reversed().map { e in
            "<tr><td>\(time.string(from: e.receivedAt))</td><td>\(Self.escape(e.to.joined(separator: ", ")))</td><td><a href=\"/mailbox/emails/\(e.id)\">\(Self.escape(e.subject))</a></td></tr>"
        }.joined()
        let sms = await messages.sms.reversed().map { m in
            "<tr><td>\(time.string(from: m.receivedAt))</td><td>\(Self.escape(m.number))</td><td>\(Self.escape(m.message))</td></tr>"
        }.joined()
        let pushes = await messages.pushes.reversed().map { p in
            "<tr><td>\(time.string(from: p.receivedAt))</td><td>\(Self.escape(String(p.token.prefix(24))))…</td><td><b>\(Self.escape(p.title ?? ""))</b> \(Self.escape(p.body ?? ""))</td></tr>"
        }.joined()
        return Self.html("TrustTrade dev mailbox", """
            <h1>Dev mailbox</h1><p>What the local SendGrid, Semaphore and FCM stand-ins received.</p>
            <h2>Email</h2><table><tr><th>When</th><th>To</th><th>Subject</th></tr>\(emails)</table>
            <h2>SMS</h2><table><tr><th>When</th><th>Number</th><th>Message</th></tr>\(sms)</table>
            <h2>Push</h2><table><tr><th>When</th><th>Device</th><th>Notification</th></tr>\(pushes)</table>
            """)
    }

    @Sendable func email(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id"), let email = await messages.email(id: id) else { throw APIError.notFound("No such email") }
        // The HTML part is shown as sent (it is our own template output) so its links can be clicked.
        let body = email.html ?? "<pre>\(Self.escape(email.text ?? ""))</pre>"
        return Self.html(email.subject, """
            <p><a href="/mailbox">← mailbox</a></p>
            <p><b>From:</b> \(Self.escape(email.from))<br><b>To:</b> \(Self.escape(email.to.joined(separator: ", ")))<br><b>Subject:</b> \(Self.escape(email.subject))</p>
            <hr>\(body)<hr><h3>Text part</h3><pre>\(Self.escape(email.text ?? ""))</pre>
            """)
    }
}
