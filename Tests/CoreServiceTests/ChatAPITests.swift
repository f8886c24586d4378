import CoreService
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Redis
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
}
