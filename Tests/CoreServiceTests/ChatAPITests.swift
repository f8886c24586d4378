import CoreService
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import HummingbirdWebSocket
import Redis
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

final class ChatAPITests: XCTestCase {
    func testRoomsMessagesCursorsUnreadCountsAndOutsiders() async throws {
        try await CoreHarness.run("chats", redisDB: 12) { signUp, client, _, logger in
            let juan = try await signUp("Juan dela Cruz", "consumer")
            let pedro = try await signUp("Pedro Penduko", "provider")
            let maria = try await signUp("Maria Clara", "consumer")
            let providerId = try await CoreHarness.makeProvider(client, pedro)

            var r = try await CoreHarness.call(client, .post, "/v1/chats", as: juan, ["providerId": providerId])
            XCTAssertEqual(r.status, .created, "\(r.body)")
            let room = try XCTUnwrap(BookingAPITests.data(r)["id"] as? String)
            XCTAssertEqual(BookingAPITests.data(r)["consumerName"] as? String, "Juan dela Cruz")
            r = try await CoreHarness.call(client, .post, "/v1/chats", as: juan, ["providerId": providerId])
            XCTAssertEqual(r.status, .ok, "the same pair gets the same room")
            XCTAssertEqual(BookingAPITests.data(r)["id"] as? String, room)
            r = try await CoreHarness.call(client, .post, "/v1/chats", as: pedro, ["providerId": providerId])
            XCTAssertEqual(r.status, .badRequest, "no chat with oneself")
            r = try await CoreHarness.call(client, .post, "/v1/chats", as: juan, ["providerId": "x"])
            XCTAssertEqual(r.status, .badRequest)
            r = try await CoreHarness.call(client, .post, "/v1/chats", as: juan, [:])
            XCTAssertEqual(r.status, .badRequest)

            // 25 messages back and forth.
            for i in 1...25 {
                let sender = i % 2 == 0 ? pedro : juan
                r = try await CoreHarness.call(client, .post, "/v1/chats/\(room)/messages", as: sender, ["content": "Message \(i)"])
                XCTAssertEqual(r.status, .created)
            }
            // A photo: Juan's own chat upload; Pedro may open it once it is sent.
            let photo = try await CoreHarness.upload("chat_attachment", as: juan)
            var file = try await CoreHarness.fileClient!.execute(uri: "/v1/files/\(photo)", method: .get, headers: pedro.headers) { $0 }
            XCTAssertEqual(file.status, .notFound, "private until shared")
            r = try await CoreHarness.call(client, .post, "/v1/chats/\(room)/messages", as: pedro, ["type": "image", "fileId": photo])
            XCTAssertEqual(r.status, .badRequest, "not Pedro's upload")
            r = try await CoreHarness.call(client, .post, "/v1/chats/\(room)/messages", as: juan, ["type": "image", "fileId": UUID().uuidString])
            XCTAssertEqual(r.status, .badRequest, "no such upload")
            r = try await CoreHarness.call(client, .post, "/v1/chats/\(room)/messages", as: juan, ["type": "image", "fileId": photo])
            XCTAssertEqual(r.status, .created)
            file = try await CoreHarness.fileClient!.execute(uri: "/v1/files/\(photo)", method: .get, headers: pedro.headers) { $0 }
            XCTAssertEqual(file.status, .ok, "shared with the other side")
            for bad: [String: Any] in [["content": "  "], ["type": "video", "content": "x"], ["type": "image"], ["type": "file", "fileId": "not-a-uuid"], ["content": "hi", "fileId": UUID().uuidString],
                                       ["content": String(repeating: "a", count: 4001)]] {
                r = try await CoreHarness.call(client, .post, "/v1/chats/\(room)/messages", as: juan, bad)
                XCTAssertEqual(r.status, .badRequest, "\(bad)")
            }

            // Outsiders: nothing, whatever they try.
            do { let r = try await CoreHarness.call(client, .get, "/v1/chats/\(room)", as: maria); XCTAssertEqual(r.status, .notFound) }
            do { let r = try await CoreHarness.call(client, .get, "/v1/chats/\(room)/messages", as: maria); XCTAssertEqual(r.status, .notFound) }
            do { let r = try await CoreHarness.call(client, .post, "/v1/chats/\(room)/messages", as: maria, ["content": "hi"]); XCTAssertEqual(r.status, .notFound) }
            do { let r = try await CoreHarness.call(client, .post, "/v1/chats/\(room)/read", as: maria); XCTAssertEqual(r.status, .notFound) }
            do { let r = try await CoreHarness.call(client, .get, "/v1/chats", as: maria); XCTAssertEqual((r.body["data"] as? [Any])?.count, 0) }
            do { let r = try await CoreHarness.call(client, .get, "/v1/chats/\(room)"); XCTAssertEqual(r.status, .unauthorized) }

            // Newest first, by cursor, no gaps or repeats.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await CoreHarness.call(client, .get, "/v1/chats/\(room)/messages?limit=10" + (cursor.map { "&before=\($0)" } ?? ""), as: pedro)
                XCTAssertEqual(page.status, .ok)
                let data = BookingAPITests.data(page)
                seen += (data["messages"] as? [[String: Any]] ?? []).compactMap { ($0["content"] as? String).flatMap { $0.isEmpty ? "[image]" : $0 } }
                cursor = data["nextCursor"] as? String
            } while cursor != nil
            XCTAssertEqual(seen, ["[image]"] + (1...25).reversed().map { "Message \($0)" })
            do { let r = try await CoreHarness.call(client, .get, "/v1/chats/\(room)/messages?before=!!", as: pedro); XCTAssertEqual(r.status, .badRequest) }
            do { let r = try await CoreHarness.call(client, .get, "/v1/chats/\(room)/messages?limit=0", as: pedro); XCTAssertEqual(r.status, .badRequest) }

            // Unread: Pedro read up to his own last message (24); Juan wrote 25 and the photo after it.
            func unread(_ account: CoreHarness.Account) async throws -> Int? {
                let rooms = try await CoreHarness.call(client, .get, "/v1/chats", as: account).body["data"] as? [[String: Any]]
                return rooms?.first?["unreadCount"] as? Int
            }
            do { let n = try await unread(pedro); XCTAssertEqual(n, 2) }
            do { let n = try await unread(juan); XCTAssertEqual(n, 0, "sending marks the room read up to one's own message") }
            let rooms = try await CoreHarness.call(client, .get, "/v1/chats", as: pedro).body["data"] as? [[String: Any]]
            XCTAssertEqual(rooms?.first?["lastMessagePreview"] as? String, "📷 Photo")
            r = try await CoreHarness.call(client, .post, "/v1/chats/\(room)/read", as: pedro)
            XCTAssertEqual(r.status, .ok)
            do { let n = try await unread(pedro); XCTAssertEqual(n, 0) }

            // A booking's room; the provider may open it too.
            let booking = try await CoreHarness.call(client, .post, "/v1/bookings", as: juan, [
                "providerId": providerId, "title": "Aircon cleaning", "scheduledDate": BookingAPITests.slot(daysAhead: 2), "estimatedHours": 1,
            ])
            let bookingId = try XCTUnwrap(BookingAPITests.data(booking)["id"] as? String)
            r = try await CoreHarness.call(client, .post, "/v1/chats", as: pedro, ["bookingId": bookingId])
            XCTAssertEqual(r.status, .created)
            XCTAssertEqual(BookingAPITests.data(r)["bookingId"] as? String, bookingId)
            r = try await CoreHarness.call(client, .post, "/v1/chats", as: maria, ["bookingId": bookingId])
            XCTAssertEqual(r.status, .badRequest, "not her booking")

            // Daily counters (seed 4.2).
            let redis = try RedisClient(url: TestEnvironment.redisURL(db: 12), logger: logger)
            let sent = try await redis.hget(DailyStats.key(for: Date()), "messagesSent")
            XCTAssertGreaterThanOrEqual(Int(sent ?? "0") ?? 0, 26)
        }
    }

    /// Pedro keeps the app open; Juan writes through the API: the message
    /// reaches Pedro's socket at once, and Pedro answers over the socket.
    func testTheLiveSocketDeliversMessagesBothWays() async throws {
        try await CoreHarness.run("chatlive", redisDB: 13, live: true) { signUp, client, _, _ in
            let juan = try await signUp("Juan dela Cruz", "consumer")
            let pedro = try await signUp("Pedro Penduko", "provider")
            let providerId = try await CoreHarness.makeProvider(client, pedro)
            let opened = try await CoreHarness.call(client, .post, "/v1/chats", as: juan, ["providerId": providerId])
            let room = try XCTUnwrap(BookingAPITests.data(opened)["id"] as? String)

            // No token, no socket.
            do {
                try await client.ws("/v1/chats/live") { _, _, _ in XCTFail("upgraded without a token") }
            } catch {}
            // A plain GET (no Upgrade header) is not a socket: a 426 in the error envelope, not an empty 200.
            let plain = try await CoreHarness.call(client, .get, "/v1/chats/live", as: pedro)
            XCTAssertEqual(plain.status.code, 426)
            XCTAssertEqual((plain.body["error"] as? [String: Any])?["code"] as? String, "UPGRADE_REQUIRED")
            XCTAssertEqual(plain.body["success"] as? Bool, false)

            let received = try await client.ws(
                "/v1/chats/live", configuration: .init(additionalHeaders: [.authorization: "Bearer \(pedro.token)"])
            ) { inbound, outbound, _ in
                var frames = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                func next() async throws -> [String: Any] {
                    guard case .text(let text)? = try await frames.next() else { return [:] }
                    return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
                }
                // A bad frame is answered, and proves the socket is listening.
                try await outbound.write(.text(#"{"type":"ping","roomId":"\#(room)"}"#))
                do { let f = try await next(); XCTAssertEqual(f["type"] as? String, "error") }

                let posted = try await CoreHarness.call(client, .post, "/v1/chats/\(room)/messages", as: juan, ["content": "Pwede po bukas ng 9?"])
                XCTAssertEqual(posted.status, .created)
                let frame = try await next()
                XCTAssertEqual(frame["type"] as? String, "message")
                XCTAssertEqual((frame["message"] as? [String: Any])?["content"] as? String, "Pwede po bukas ng 9?")

                // Pedro answers on the socket; it is stored and echoed to him too.
                try await outbound.write(.text(#"{"type":"send","roomId":"\#(room)","content":"Opo, 9 AM."}"#))
                let echo = try await next()
                XCTAssertEqual((echo["message"] as? [String: Any])?["senderId"] as? String, pedro.id)
                try await outbound.close(.normalClosure, reason: nil)
            }
            _ = received
            let page = BookingAPITests.data(try await CoreHarness.call(client, .get, "/v1/chats/\(room)/messages", as: juan))
            XCTAssertEqual((page["messages"] as? [[String: Any]])?.compactMap { $0["content"] as? String }, ["Opo, 9 AM.", "Pwede po bukas ng 9?"])
        }
    }

    /// A browser cannot set Authorization on a WebSocket: it buys a ticket
    /// with its token, and the ticket opens one socket, once, within 30 s.
    func testATicketOpensOneSocketOnceAndOnlyWhileItsSessionLives() async throws {
        try await CoreHarness.run("chatticket", redisDB: 14, live: true) { signUp, client, _, logger in
            let juan = try await signUp("Juan dela Cruz", "consumer")
            let pedro = try await signUp("Pedro Penduko", "provider")
            let providerId = try await CoreHarness.makeProvider(client, pedro)
            let opened = try await CoreHarness.call(client, .post, "/v1/chats", as: juan, ["providerId": providerId])
            let room = try XCTUnwrap(BookingAPITests.data(opened)["id"] as? String)

            do { let r = try await CoreHarness.call(client, .post, "/v1/chats/ticket"); XCTAssertEqual(r.status, .unauthorized) }
            func ticket(_ account: CoreHarness.Account) async throws -> String {
                let r = try await CoreHarness.call(client, .post, "/v1/chats/ticket", as: account)
                XCTAssertEqual(r.status, .created, "\(r.body)")
                let data = BookingAPITests.data(r)
                let expires = try XCTUnwrap((data["expiresAt"] as? String).flatMap(ISO8601.date(from:)))
                XCTAssertEqual(expires.timeIntervalSinceNow, 30, accuracy: 2)
                let value = try XCTUnwrap(data["ticket"] as? String)
                XCTAssertEqual(value.count, 43, "256 random bits, base64url")
                return value
            }
            /// Whether the upgrade is refused. (The WebSocket layer answers a
            /// refused upgrade with an empty 400; a plain GET gets the envelope.)
            func refused(_ query: String, headers: HTTPFields = [:]) async -> Bool {
                do {
                    try await client.ws("/v1/chats/live" + query, configuration: .init(additionalHeaders: headers)) { _, outbound, _ in
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                    return false
                } catch {
                    return true
                }
            }
            func plainGet(_ query: String) async throws -> (status: HTTPResponse.Status, code: String?) {
                let r = try await CoreHarness.call(client, .get, "/v1/chats/live" + query)
                return (r.status, (r.body["error"] as? [String: Any])?["code"] as? String)
            }

            // The ticket opens a socket that carries Pedro's messages.
            let first = try await ticket(pedro)
            // A plain GET is not a socket and does not spend the ticket.
            do { let r = try await CoreHarness.call(client, .get, "/v1/chats/live?ticket=\(first)"); XCTAssertEqual(r.status.code, 426) }
            try await client.ws("/v1/chats/live?ticket=\(first)") { inbound, outbound, _ in
                var frames = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                let posted = try await CoreHarness.call(client, .post, "/v1/chats/\(room)/messages", as: juan, ["content": "Ticket po"])
                XCTAssertEqual(posted.status, .created)
                guard case .text(let text)? = try await frames.next() else { return XCTFail("no frame") }
                XCTAssertTrue(text.contains("Ticket po"))
                try await outbound.close(.normalClosure, reason: nil)
            }
            // Used: refused; the plain GET says why, in the error envelope.
            var refusedAgain = await refused("?ticket=\(first)")
            XCTAssertTrue(refusedAgain, "a ticket opens one socket")
            var plain = try await plainGet("?ticket=\(first)")
            XCTAssertEqual(plain.status, .unauthorized)
            XCTAssertEqual(plain.code, "TOKEN_INVALID")
            refusedAgain = await refused("?ticket=not-a-ticket")
            XCTAssertTrue(refusedAgain)
            plain = try await plainGet("?ticket=not-a-ticket")
            XCTAssertEqual(plain.status, .unauthorized)
            plain = try await plainGet("")
            XCTAssertEqual(plain.status, .unauthorized, "neither token nor ticket")
            // Forged identity headers open nothing: core reads no X-User-Id.
            refusedAgain = await refused("", headers: [.userID: pedro.id, .userType: "provider", .sessionID: UUID().uuidString])
            XCTAssertTrue(refusedAgain)

            // Two upgrades racing with one ticket: one socket.
            let raced = try await ticket(pedro)
            async let one = refused("?ticket=\(raced)")
            async let two = refused("?ticket=\(raced)")
            let outcomes = await [one, two]
            XCTAssertEqual(outcomes.filter { !$0 }.count, 1, "\(outcomes)")

            // Expired: a grant whose 30 s are over is refused even if Redis still has it.
            let redis = try RedisClient(url: TestEnvironment.redisURL(db: 14), logger: logger)
            let identity = Identity(userId: UUID(uuidString: pedro.id)!, email: pedro.email, userType: .provider, sessionId: UUID().uuidString.lowercased())
            let stale = try await ChatTicketStore(redis: redis).issue(
                ChatTicketGrant(identity: identity, tokenExpiresAt: Date().addingTimeInterval(900), now: Date().addingTimeInterval(-31)))
            refusedAgain = await refused("?ticket=\(stale)")
            XCTAssertTrue(refusedAgain, "expired")
            plain = try await plainGet("?ticket=\(stale)")
            XCTAssertEqual(plain.status, .unauthorized)

            // A ticket of a session that ended since is refused.
            let login = try await CoreHarness.login(pedro)
            let fresh = CoreHarness.Account(token: login["accessToken"] as! String, id: pedro.id, email: pedro.email)
            let orphan = try await ticket(fresh)
            let auth = try XCTUnwrap(CoreHarness.authClient)
            let out = try await auth.execute(uri: "/v1/auth/logout", method: .post, headers: fresh.headers,
                                             body: try CoreHarness.json(["refreshToken": login["refreshToken"] as! String])) { $0 }
            XCTAssertEqual(out.status.code / 100, 2)
            plain = try await plainGet("?ticket=\(orphan)")
            XCTAssertEqual(plain.status, .unauthorized)
            XCTAssertEqual(plain.code, "SESSION_REVOKED")
            refusedAgain = await refused("?ticket=\(orphan)")
            XCTAssertTrue(refusedAgain)
            await redis.close()
        }
    }

    /// Logging out closes the sockets of that session at once (4401), not
    /// those of the person's other sessions; a session that ended without
    /// the news reaching the hub is found by the periodic check; a flood is
    /// closed with 1008 and a frame over the size limit with 1009.
    func testSocketsCloseWhenTheirSessionEndsOrTheyFloodOrSendTooMuch() async throws {
        try await CoreHarness.run("chatclose", redisDB: 15, settings: ["CHAT_FRAMES_PER_SECOND": "5", "CHAT_FRAME_BURST": "10", "CHAT_MAX_FRAME_BYTES": "4096", "CHAT_SESSION_CHECK_SECONDS": "1"], live: true) { signUp, client, _, logger in
            let pedro = try await signUp("Pedro Penduko", "provider")
            let login = try await CoreHarness.login(pedro)
            let phone = CoreHarness.Account(token: login["accessToken"] as! String, id: pedro.id, email: pedro.email)
            let phoneRefreshToken = login["refreshToken"] as! String
            func socket(_ account: CoreHarness.Account, _ body: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> Void) async throws -> WebSocketCloseFrame? {
                try await client.ws("/v1/chats/live", configuration: .init(additionalHeaders: [.authorization: "Bearer \(account.token)"])) { inbound, outbound, _ in
                    try await body(inbound, outbound)
                }
            }
            /// Reads until the server closes.
            @Sendable func drain(_ inbound: WebSocketInboundStream) async throws {
                for try await _ in inbound.messages(maxSize: 1 << 16) {}
            }

            // Pedro's laptop session keeps its socket while his phone's logs out.
            async let laptop = socket(pedro) { inbound, outbound in
                try await Task.sleep(for: .seconds(2))
                try await outbound.close(.normalClosure, reason: nil)
            }
            let started = ContinuousClock.now
            let closed = try await socket(phone) { inbound, _ in
                try await Task.sleep(for: .milliseconds(200))
                let auth = try XCTUnwrap(CoreHarness.authClient)
                let out = try await auth.execute(uri: "/v1/auth/logout", method: .post, headers: phone.headers,
                                                 body: try CoreHarness.json(["refreshToken": phoneRefreshToken])) { $0 }
                XCTAssertEqual(out.status.code / 100, 2)
                try await drain(inbound)
            }
            XCTAssertEqual(closed?.closeCode, .unknown(4401))
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(1.5), "closed at the logout, not at a periodic check")
            let stayed = try await laptop
            XCTAssertEqual(stayed?.closeCode, .normalClosure, "the other session's socket lived on")

            // A revocation the hub never heard of (pub/sub lost in a Redis
            // reconnect): the periodic check finds the session gone.
            let tablet = try await CoreHarness.login(pedro)
            let tabletAccount = CoreHarness.Account(token: tablet["accessToken"] as! String, id: pedro.id, email: pedro.email)
            let payload = try XCTUnwrap(Base64URL.decode(String(tabletAccount.token.split(separator: ".")[1])))
            let sid = try XCTUnwrap((try JSONSerialization.jsonObject(with: payload) as? [String: Any])?["sid"] as? String)
            let redis = try RedisClient(url: TestEnvironment.redisURL(db: 15), logger: logger)
            let quietlyEnded = try await socket(tabletAccount) { inbound, _ in
                try await Task.sleep(for: .milliseconds(100))
                _ = try await redis.del(SessionKeys.key(sid))
                try await drain(inbound)
            }
            XCTAssertEqual(quietlyEnded?.closeCode, .unknown(4401))
            await redis.close()

            // 10 at once, 5 a second: the 11th frame closes the socket.
            let flooded = try await socket(pedro) { inbound, outbound in
                for _ in 0..<30 { try? await outbound.write(.text(#"{"type":"ping"}"#)) }
                try await drain(inbound)
            }
            XCTAssertEqual(flooded?.closeCode, .policyViolation)

            let tooBig = try await socket(pedro) { inbound, outbound in
                try await outbound.write(.text(String(repeating: "a", count: 5000)))
                try await drain(inbound)
            }
            XCTAssertEqual(tooBig?.closeCode, .messageTooLarge)
        }
    }
}
