import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServiceKit
import TrustTradeDTO
import XCTest

extension HTTPField.Name {
    static let testUserType = Self("X-Test-User-Type")!
    static let testUserId = Self("X-Test-User-Id")!
}

/// A store's failure the way services declare theirs: it maps itself once.
enum ShelfFailure: Error, APIErrorConvertible {
    case notFound, full(Int)

    var apiError: APIError {
        switch self {
        case .notFound: .notFound("No such shelf")
        case .full(let limit):
            APIError(.conflict, code: "SHELF_FULL", message: "A shelf holds at most \(limit) books",
                     details: [FieldError(field: "books", message: "at most \(limit)")])
        }
    }
}

/// Signs the test's caller in from headers (the real services verify a token).
struct HeaderIdentityMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        if let raw = request.headers[.testUserType], let type = UserType(rawValue: raw) {
            let id = request.headers[.testUserId].flatMap(UUID.init(uuidString:)) ?? UUID()
            context.identity = Identity(userId: id, email: "t@example.ph", userType: type, sessionId: "s")
        }
        return try await next(request, context)
    }
}

final class APIErrorConvertibleTests: XCTestCase {
    static let owner = UUID()

    func app() -> some ApplicationProtocol {
        let router = Router.service(AppRequestContext.self)
        router.add(middleware: HeaderIdentityMiddleware())
        // Handlers throw the failure as it is; the middleware renders it.
        router.get("shelves/missing") { _, _ -> Envelope<String> in throw ShelfFailure.notFound }
        router.get("shelves/full") { _, _ -> Envelope<String> in throw ShelfFailure.full(3) }
        router.get("admin") { _, context -> Envelope<String> in
            Envelope(try context.requireRole(.admin).userType.rawValue)
        }
        router.get("admin/worded") { _, context -> Envelope<String> in
            try context.requireRole(.admin, "Only admins see the shelves")
            return Envelope("ok")
        }
        router.get("mine") { _, context -> Envelope<String> in
            let identity = try context.requireIdentity()
            try identity.requireAdmin(orOneOf: nil, Self.owner, message: "Only the owner or an admin")
            return Envelope(identity.isAdmin ? "admin" : "owner")
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func error(_ r: TestResponse) -> [String: Any] {
        let body = (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:]
        XCTAssertEqual(body["success"] as? Bool, false)
        XCTAssertNotNil((body["meta"] as? [String: Any])?["requestId"])
        return body["error"] as? [String: Any] ?? [:]
    }

    func testAFailureThrownFromARouteRendersItsEnvelope() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/shelves/missing", method: .get) { r in
                XCTAssertEqual(r.status, .notFound)
                let error = Self.error(r)
                XCTAssertEqual(error["code"] as? String, "NOT_FOUND")
                XCTAssertEqual(error["message"] as? String, "No such shelf")
                XCTAssertNil(error["details"])
            }
            try await client.execute(uri: "/shelves/full", method: .get) { r in
                XCTAssertEqual(r.status, .conflict)
                let error = Self.error(r)
                XCTAssertEqual(error["code"] as? String, "SHELF_FULL")
                XCTAssertEqual(error["message"] as? String, "A shelf holds at most 3 books")
                XCTAssertEqual((error["details"] as? [[String: Any]])?.first?["field"] as? String, "books")
            }
        }
    }

    func testValidationFailuresAndAPIErrorsAreConvertibleToo() {
        let failure = ValidationFailure([FieldError(field: "name", message: "name is required")])
        XCTAssertEqual((failure as any APIErrorConvertible).apiError.status, .badRequest)
        XCTAssertEqual((APIError.conflict("x") as any APIErrorConvertible).apiError.code, .conflict)
    }

    func testRequireRole() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/admin", method: .get) { r in
                XCTAssertEqual(r.status, .unauthorized, "no identity is a 401, not a 403")
                XCTAssertEqual(Self.error(r)["code"] as? String, "UNAUTHORIZED")
            }
            for type in ["consumer", "provider"] {
                try await client.execute(uri: "/admin", method: .get, headers: [.testUserType: type]) { r in
                    XCTAssertEqual(r.status, .forbidden, type)
                    let error = Self.error(r)
                    XCTAssertEqual(error["code"] as? String, "FORBIDDEN")
                    XCTAssertEqual(error["message"] as? String, "You may not do this")
                }
            }
            try await client.execute(uri: "/admin/worded", method: .get, headers: [.testUserType: "provider"]) { r in
                XCTAssertEqual(r.status, .forbidden)
                XCTAssertEqual(Self.error(r)["message"] as? String, "Only admins see the shelves")
            }
            try await client.execute(uri: "/admin", method: .get, headers: [.testUserType: "admin"]) { r in
                XCTAssertEqual(r.status, .ok)
            }
        }
    }

    func testAdminOrOwner() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/mine", method: .get, headers: [.testUserType: "consumer"]) { r in
                XCTAssertEqual(r.status, .forbidden)
                XCTAssertEqual(Self.error(r)["message"] as? String, "Only the owner or an admin")
            }
            let owner: HTTPFields = [.testUserType: "consumer", .testUserId: Self.owner.uuidString]
            try await client.execute(uri: "/mine", method: .get, headers: owner) { r in
                XCTAssertEqual(r.status, .ok)
            }
            try await client.execute(uri: "/mine", method: .get, headers: [.testUserType: "admin"]) { r in
                XCTAssertEqual(r.status, .ok)
            }
        }
        let stranger = Identity(userId: UUID(), email: "s@example.ph", userType: .provider, sessionId: "s")
        XCTAssertFalse(stranger.isAdmin(orOneOf: Self.owner, nil))
        XCTAssertTrue(stranger.isAdmin(orOneOf: Self.owner, stranger.userId))
    }
}
