import Foundation
import Gateway
import XCTest

/// How the gateway puts the API description together from one file per service.
final class OpenAPIDocumentTests: XCTestCase {
    func folder(_ files: [String: Any]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, object) in files {
            try JSONSerialization.data(withJSONObject: object).write(to: url.appendingPathComponent(name))
        }
        return url
    }

    let frame: [String: Any] = [
        "openapi": "3.1.0", "info": ["title": "t", "version": "1"], "security": [["bearerAuth": []]], "tags": [], "paths": [:],
        "components": ["schemas": ["Meta": ["type": "object"]]],
    ]

    func testServiceFilesAreMergedAndTheGatewaysOwnAnswersAdded() throws {
        let url = try folder([
            "openapi.json": frame,
            "core.json": ["tags": [["name": "Bookings"]], "paths": [
                "/v1/bookings": ["post": ["operationId": "createBooking", "requestBody": ["content": [:]], "responses": ["201": ["description": "made"]]]],
                "/v1/categories": ["get": ["operationId": "listCategories", "security": [], "responses": ["200": ["description": "ok"]]]],
            ], "components": ["schemas": ["Booking": ["type": "object"]]]],
        ])
        let doc = try OpenAPIDocument.assemble(folder: url)
        XCTAssertEqual(doc.operationCount, 2)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: doc.json) as? [String: Any])
        let paths = try XCTUnwrap(json["paths"] as? [String: [String: [String: Any]]])
        let create = try XCTUnwrap(paths["/v1/bookings"]?["post"]?["responses"] as? [String: Any])
        XCTAssertEqual(Set(create.keys), ["201", "401", "408", "413", "429", "431", "502", "503", "504"], "signed in, with a body")
        let categories = try XCTUnwrap(paths["/v1/categories"]?["get"]?["responses"] as? [String: Any])
        XCTAssertEqual(Set(categories.keys), ["200", "429", "431", "502", "503", "504"], "public, no body: no 401, 408 or 413")
        let schemas = try XCTUnwrap((json["components"] as? [String: Any])?["schemas"] as? [String: Any])
        XCTAssertEqual(Set(schemas.keys), ["Meta", "Booking"])
    }

    func testAPathOrComponentDefinedTwiceIsRefused() throws {
        let twice = try folder([
            "openapi.json": frame,
            "a.json": ["paths": ["/v1/x": ["get": ["responses": [:]]]]],
            "b.json": ["paths": ["/v1/x": ["put": ["responses": [:]]]]],
        ])
        XCTAssertThrowsError(try OpenAPIDocument.assemble(folder: twice))
        let schema = try folder(["openapi.json": frame, "a.json": ["components": ["schemas": ["Meta": ["type": "string"]]]]])
        XCTAssertThrowsError(try OpenAPIDocument.assemble(folder: schema))
        let stray = try folder(["openapi.json": frame, "a.json": ["info": [:]]])
        XCTAssertThrowsError(try OpenAPIDocument.assemble(folder: stray), "a service file holds only paths, tags and components")
    }

    func testTheShippedDocumentAssembles() throws {
        let doc = try OpenAPIDocument.bundled()
        XCTAssertGreaterThan(doc.operationCount, 100)
    }
}
