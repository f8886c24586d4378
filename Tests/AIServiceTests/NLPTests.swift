import AIService
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Queue
import TrustTradeDTO
import XCTest

/// Sentiment and risk flags in English, Filipino and Taglish; the labelled
/// set's figures; the API and the moderation list.
final class NLPTests: XCTestCase {
    func testSentimentReadsManilaReviews() {
        XCTAssertEqual(SentimentModel.analyze("sobrang bilis, ang galing!").label, .positive)
        XCTAssertEqual(SentimentModel.analyze("hindi dumating, sayang pera").label, .negative)
        XCTAssertEqual(SentimentModel.analyze("Not bad at all").label, .positive, "negated bad")
        XCTAssertEqual(SentimentModel.analyze("Hindi maganda ang gawa").label, .negative, "negated good")
        XCTAssertEqual(SentimentModel.analyze("Anong oras po kayo darating?").label, .neutral)
        XCTAssertGreaterThan(SentimentModel.analyze("napakabilis").score, SentimentModel.analyze("mabilis").score, "napaka- intensifies")
        XCTAssertLessThan(SentimentModel.analyze("medyo mabagal").score, 0)
        XCTAssertGreaterThan(SentimentModel.analyze("medyo mabagal").score, SentimentModel.analyze("sobrang bagal").score, "medyo softens")
        XCTAssertEqual(LanguageGuess.of(TextTokens.words("Ang galing ni kuya, salamat po")), .fil)
        XCTAssertEqual(LanguageGuess.of(TextTokens.words("The technician was very good")), .en)
        XCTAssertEqual(LanguageGuess.of(TextTokens.words("Super bait ni ate and very professional pa")), .taglish)
    }

    func testRiskFlagsCatchPayingOutsideContactsInsultsAndScams() {
        func kinds(_ text: String) -> Set<RiskFlags.Kind> { Set(RiskFlags.analyze(text).flags.map(\.kind)) }
        XCTAssertEqual(kinds("GCash mo na lang ako directly"), [.offPlatformPayment])
        XCTAssertEqual(RiskFlags.analyze("GCash mo na lang ako directly").level, .high)
        XCTAssertEqual(kinds("Sa app na po ako magbabayad"), [], "paying in the app is the right thing")
        XCTAssertEqual(kinds("Text me at 0917 123 4567"), [.contactShared])
        XCTAssertEqual(kinds("email ko: liza@example.ph"), [.contactShared])
        XCTAssertEqual(RiskFlags.analyze("Text me at +63 917 123 4567").level, .low)
        XCTAssertEqual(kinds("t@nga ka ba"), [.insult], "spelled around the filter")
        XCTAssertEqual(RiskFlags.analyze("Pakisend ng OTP para ma-verify").level, .high)
        XCTAssertEqual(kinds("Click this link to claim your prize"), [.scam])
        XCTAssertEqual(kinds("The aircon is on the second floor"), [])
    }

    func testTheLabelledSetMeetsItsAims() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Services/AI/Eval/nlp-eval.tsv")
        let evaluation = NLPEvaluation.run(tsv: try String(contentsOf: path, encoding: .utf8))
        XCTAssertGreaterThanOrEqual(evaluation.total, 300)
        XCTAssertEqual(Set(evaluation.perRegister.keys), ["en", "fil", "taglish"])
        XCTAssertGreaterThanOrEqual(evaluation.accuracy, 0.85, evaluation.report)
        XCTAssertGreaterThanOrEqual(evaluation.offPlatform.recall, 0.90, evaluation.report)
    }

    func testTheAPIAnswersAndHighRiskTextReachesTheModerationList() async throws {
        try await TrustEventsTests.withAI("ainlp", redisDB: 17) { client, admin, consumer, queue, _, _ in
            var r = try await client.execute(uri: "/v1/ai/nlp/analyze", method: .post, headers: consumer,
                                              body: try TrustEventsTests.json(["text": "Sobrang bilis! GCash mo na lang ako directly, 0917 555 1234"])) { $0 }
            XCTAssertEqual(r.status, .ok)
            let data = try XCTUnwrap(TrustEventsTests.body(r)["data"] as? [String: Any])
            XCTAssertEqual(data["riskLevel"] as? String, "high")
            XCTAssertEqual(Set((data["flags"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []), ["offPlatformPayment", "contactShared"])
            XCTAssertEqual((data["sentiment"] as? [String: Any])?["label"] as? String, "positive")
            r = try await client.execute(uri: "/v1/ai/nlp/sentiment", method: .post, headers: consumer,
                                         body: try TrustEventsTests.json(["text": "hindi dumating, sayang pera"])) { $0 }
            XCTAssertEqual((TrustEventsTests.body(r)["data"] as? [String: Any])?["label"] as? String, "negative")
            XCTAssertEqual((TrustEventsTests.body(r)["data"] as? [String: Any])?["language"] as? String, "fil")

            // Bad input: empty, too long, not JSON, no token.
            for (body, status) in [(["text": "   "], HTTPResponse.Status.badRequest), (["text": String(repeating: "a", count: 5_001)], .badRequest),
                                   ([String: String](), .badRequest)] {
                r = try await client.execute(uri: "/v1/ai/nlp/sentiment", method: .post, headers: consumer, body: try TrustEventsTests.json(body)) { $0 }
                XCTAssertEqual(r.status, status)
                XCTAssertEqual((TrustEventsTests.body(r)["error"] as? [String: Any])?["code"] as? String, "VALIDATION_ERROR")
            }
            r = try await client.execute(uri: "/v1/ai/nlp/sentiment", method: .post, headers: consumer,
                                         body: ByteBuffer(string: "{\"text\": \"" + String(repeating: "a", count: 1 << 20) + "\"}")) { $0 }
            XCTAssertEqual(r.status.code / 100, 4, "a megabyte of text is refused, not a 500")
            r = try await client.execute(uri: "/v1/ai/nlp/sentiment", method: .post, headers: [.contentType: "application/json"],
                                         body: try TrustEventsTests.json(["text": "ok"])) { $0 }
            XCTAssertEqual(r.status, .unauthorized)

            // A chat message asking to pay outside and a harmless one: only the first is listed.
            let risky = ChatMessageDTO(id: UUID(), roomId: UUID(), senderId: UUID(), type: .text, content: "Cash na lang tayo, i-cancel mo na lang yung booking",
                                       fileId: nil, cursor: "1", createdAt: ISO8601.string(from: Date()))
            var harmless = risky
            harmless.id = UUID()
            harmless.content = "See you at 10 am po"
            for m in [risky, harmless] {
                _ = try await queue.add(EventType.chatMessageSent, data: EventEnvelope(type: EventType.chatMessageSent, requestId: nil,
                                                                                        payload: ChatMessageEvent(message: m)))
            }
            var listed: [[String: Any]] = []
            for _ in 0..<200 {
                r = try await client.execute(uri: "/v1/ai/moderation", method: .get, headers: admin) { $0 }
                listed = TrustEventsTests.body(r)["data"] as? [[String: Any]] ?? []
                if !listed.isEmpty { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            XCTAssertEqual(listed.count, 1)
            XCTAssertEqual(listed.first?["sourceId"] as? String, risky.id.uuidString.lowercased())
            XCTAssertEqual(listed.first?["source"] as? String, "chat")
            r = try await client.execute(uri: "/v1/ai/moderation", method: .get, headers: consumer) { $0 }
            XCTAssertEqual(r.status, .forbidden)
            let itemId = try XCTUnwrap(listed.first?["id"] as? String)
            // A note Postgres cannot keep (NUL) or a very long one is a 400, not a 500; the item stays open.
            for note in ["Warned \u{0} the provider", String(repeating: "n", count: 2_001)] {
                r = try await client.execute(uri: "/v1/ai/moderation/\(itemId)/resolve", method: .post, headers: admin,
                                             body: try TrustEventsTests.json(["action": "action", "note": note])) { $0 }
                XCTAssertEqual(r.status, .badRequest, "\(TrustEventsTests.body(r))")
            }
            r = try await client.execute(uri: "/v1/ai/moderation/\(itemId)/resolve", method: .post, headers: admin,
                                         body: try TrustEventsTests.json(["action": "action", "note": "Warned the provider"])) { $0 }
            XCTAssertEqual((TrustEventsTests.body(r)["data"] as? [String: Any])?["status"] as? String, "actioned")
            r = try await client.execute(uri: "/v1/ai/moderation/\(itemId)/resolve", method: .post, headers: admin,
                                         body: try TrustEventsTests.json(["action": "dismiss"])) { $0 }
            XCTAssertEqual(r.status, .conflict)
            r = try await client.execute(uri: "/v1/ai/moderation", method: .get, headers: admin) { $0 }
            XCTAssertEqual((TrustEventsTests.body(r)["data"] as? [[String: Any]])?.count, 0, "resolved items leave the open list")
        }
    }
}
