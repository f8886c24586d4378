import Foundation
import TrustTradeDTO
import XCTest

final class EnvelopeTests: XCTestCase {
    func testPaginationBlockMatchesTheSeed() {
        let p = Pagination(page: 1, limit: 20, total: 150)
        XCTAssertEqual(p.totalPages, 8)
        XCTAssertTrue(p.hasNext)
        XCTAssertFalse(p.hasPrev)
        let last = Pagination(page: 8, limit: 20, total: 150)
        XCTAssertFalse(last.hasNext)
        XCTAssertTrue(last.hasPrev)
        let empty = Pagination(page: 1, limit: 20, total: 0)
        XCTAssertEqual(empty.totalPages, 0)
        XCTAssertFalse(empty.hasNext)
    }

    func testPageRequestDefaultsAndRefusesBadValues() throws {
        XCTAssertEqual(try PageRequest.parse(page: nil, limit: nil).get(), PageRequest(page: 1, limit: 20))
        XCTAssertEqual(try PageRequest.parse(page: "3", limit: "100").get().offset, 200)
        for (page, limit, field) in [("0", nil, "page"), ("-1", nil, "page"), ("x", nil, "page"), (nil, "0", "limit"), (nil, "101", "limit"), (nil, "2.5", "limit")] as [(String?, String?, String)] {
            guard case .failure(let failure) = PageRequest.parse(page: page, limit: limit) else {
                return XCTFail("\(String(describing: page)) \(String(describing: limit)) should fail")
            }
            XCTAssertEqual(failure.fields.map(\.field), [field])
        }
    }

    func testErrorEnvelopeShape() throws {
        let envelope = ErrorEnvelope(
            error: ErrorBody(code: .validation, message: "Invalid email format", details: [FieldError(field: "email", message: "Email must be a valid email address")]),
            meta: ResponseMeta(timestamp: "2025-01-15T10:30:00Z", requestId: "req-12345")
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(envelope), as: UTF8.self)
        XCTAssertEqual(json, #"{"error":{"code":"VALIDATION_ERROR","details":[{"field":"email","message":"Email must be a valid email address"}],"message":"Invalid email format"},"meta":{"requestId":"req-12345","timestamp":"2025-01-15T10:30:00Z"},"success":false}"#)
    }

    func testSuccessEnvelopeRoundTripsWithPagination() throws {
        let envelope = SuccessEnvelope(data: ["a", "b"], pagination: Pagination(page: 2, limit: 2, total: 5), meta: ResponseMeta(requestId: "r1"))
        let decoded = try JSONDecoder().decode(SuccessEnvelope<[String]>.self, from: try JSONEncoder().encode(envelope))
        XCTAssertTrue(decoded.success)
        XCTAssertEqual(decoded.data, ["a", "b"])
        XCTAssertEqual(decoded.pagination?.totalPages, 3)
        XCTAssertNotNil(ISO8601.date(from: decoded.meta.timestamp))
    }

    func testTimestampsAreUTCWithMilliseconds() {
        let s = ISO8601.string(from: Date(timeIntervalSince1970: 1_736_937_000.5))
        XCTAssertEqual(s, "2025-01-15T10:30:00.500Z")
        XCTAssertEqual(ISO8601.date(from: s)?.timeIntervalSince1970, 1_736_937_000.5)
    }

    func testTimesWithAnOffsetAreReadInTheirZone() {
        // 18:30 in Manila is 10:30 UTC; the offset must not be dropped.
        XCTAssertEqual(ISO8601.date(from: "2025-01-15T18:30:00+08:00")?.timeIntervalSince1970, 1_736_937_000)
        XCTAssertEqual(ISO8601.date(from: "2025-01-15T18:30:00.500+08:00")?.timeIntervalSince1970, 1_736_937_000.5)
        XCTAssertEqual(ISO8601.date(from: "2025-01-15T10:30:00Z")?.timeIntervalSince1970, 1_736_937_000)
        XCTAssertEqual(ISO8601.date(from: "2025-01-15T10:30:00")?.timeIntervalSince1970, 1_736_937_000, "no zone: UTC")
        XCTAssertNil(ISO8601.date(from: "15/01/2025 10:30"))
    }
}
