import AuthService
import FileService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import ServiceKit
import TestSupport
import TrustTradeDTO
import XCTest

/// The file service with a live auth service (real tokens), the real clamd
/// that `make test` starts (our EICAR-only signature file), libvips and disk
/// storage in a temporary folder.
final class FileAPITests: XCTestCase {
    struct Harness: Sendable {
        let client: any TestClientProtocol
        let alice: HTTPFields, bob: HTTPFields, admin: HTTPFields
        let aliceId: String, bobId: String
        let storage: URL
        let fileDB: String
        let logger: Logger
    }

    static func withFiles(_ label: String, redisDB: Int, settings extra: [String: String] = [:], _ body: @Sendable (Harness) async throws -> Void) async throws {
        let fileDB = try await TestEnvironment.freshDatabase(label)
        let authDB = try await TestEnvironment.freshDatabase("\(label)auth")
        var quiet = Logger(label: "file-test")
        quiet.logLevel = .warning
        let logger = quiet
        let redisURL = TestEnvironment.redisURL(db: redisDB)
        let storage = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tt-files-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: storage) }
        let authConfig = try AuthConfig(settings: Settings(["DATABASE_URL": authDB, "REDIS_URL": redisURL, "AUTH_BCRYPT_COST": "4", "PORT": "0"]))
        let auth = try await AuthService.buildApplication(config: authConfig, logger: logger)
        try await auth.test(.live) { authClient in
            let port = try XCTUnwrap(authClient.port)
            let config = try FileConfig(settings: Settings([
                "DATABASE_URL": fileDB, "REDIS_URL": redisURL, "PORT": "0", "AUTH_JWKS_URL": "http://127.0.0.1:\(port)/v1/auth/.well-known/jwks.json",
                "FILE_STORAGE_PATH": storage.path, "CLAMD_PORT": ProcessInfo.processInfo.environment["CLAMD_PORT"] ?? "3310",
                "FILE_PUBLIC_BASE_URL": "https://cdn.trusttrade.test", "INTERNAL_SERVICE_SECRET": "file-test-internal",
            ].merging(extra) { _, new in new }))
            let app = try await FileService.buildApplication(config: config, logger: logger)
            try await app.test(.router) { client in
                let (alice, aliceId) = try await Self.account(authClient, authConfig, admin: false, logger: logger)
                let (bob, bobId) = try await Self.account(authClient, authConfig, admin: false, logger: logger)
                let (admin, _) = try await Self.account(authClient, authConfig, admin: true, logger: logger)
                try await body(Harness(client: client, alice: alice, bob: bob, admin: admin, aliceId: aliceId, bobId: bobId, storage: storage,
                                       fileDB: fileDB, logger: logger))
            }
        }
    }

    static func account(_ auth: any TestClientProtocol, _ config: AuthConfig, admin: Bool, logger: Logger) async throws -> (HTTPFields, String) {
        let email = TestEnvironment.uniqueEmail("files")
        _ = try await auth.execute(uri: "/v1/auth/register", method: .post, headers: [.contentType: "application/json"],
                                   body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: [
                                       "email": email, "password": "Lumpia-Shanghai-8", "fullName": "File Tester", "userType": "consumer"]))) { $0 }
        if admin { _ = try await grantAdmin(email: email, config: config, logger: logger) }
        let r = try await auth.execute(uri: "/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                                       body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["email": email, "password": "Lumpia-Shanghai-8"]))) { $0 }
        let data = try XCTUnwrap(body(r)["data"] as? [String: Any])
        return ([.authorization: "Bearer \(data["accessToken"] as! String)"], (data["user"] as! [String: Any])["id"] as! String)
    }

    static func body(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: r.body))) as? [String: Any] ?? [:]
    }

    static func upload(_ h: Harness, as who: HTTPFields, purpose: String?, file: [UInt8]?, name: String = "upload.bin", type: String? = nil)
        async throws -> TestResponse {
        var headers = who
        headers[.contentType] = "multipart/form-data; boundary=ttBoundary42"
        return try await h.client.execute(uri: "/v1/files/upload", method: .post, headers: headers,
                                          body: ByteBuffer(bytes: Fixtures.multipart(purpose: purpose, file: file, name: name, type: type))) { $0 }
    }

    /// Follows a signed link (its path and query) on the test client.
    static func fetch(_ h: Harness, _ url: String, as who: HTTPFields = [:]) async throws -> TestResponse {
        let path = url.replacingOccurrences(of: "https://cdn.trusttrade.test", with: "")
        return try await h.client.execute(uri: path, method: .get, headers: who) { $0 }
    }

    func testEveryAllowedTypeUploadsAndImagesLoseTheirGPSAndGainWebPVariants() async throws {
        try await Self.withFiles("files", redisDB: 19) { h in
            let photo = try Fixtures.jpegWithGPS()
            XCTAssertNotNil(String(decoding: photo, as: UTF8.self).range(of: "TrustTradeCam"), "the fixture carries EXIF")
            var r = try await Self.upload(h, as: h.alice, purpose: "avatar", file: photo, name: "me.jpg", type: "image/jpeg")
            XCTAssertEqual(r.status, .created, "\(Self.body(r))")
            let avatar = try XCTUnwrap(Self.body(r)["data"] as? [String: Any])
            XCTAssertEqual(avatar["kind"] as? String, "jpeg")
            XCTAssertEqual(avatar["width"] as? Int, 640)
            let urls = try XCTUnwrap(avatar["urls"] as? [String: String])
            XCTAssertEqual(Set(urls.keys), ["original", "large", "thumb"])
            XCTAssertTrue(urls["thumb"]!.hasPrefix("https://cdn.trusttrade.test/v1/files/"))
            r = try await Self.fetch(h, urls["original"]!)
            XCTAssertEqual(r.status, .ok)
            let original = Array(buffer: r.body)
            XCTAssertEqual(Array(original.prefix(3)), [0xFF, 0xD8, 0xFF])
            XCTAssertNil(String(decoding: original, as: UTF8.self).range(of: "TrustTradeCam"), "no EXIF left")
            XCTAssertNil(String(decoding: original, as: UTF8.self).range(of: "Exif"), "no EXIF block left")
            XCTAssertEqual(r.headers[.cacheControl]?.hasPrefix("public, max-age="), true, "avatars may be cached by a CDN")
            r = try await Self.fetch(h, urls["thumb"]!)
            let thumb = Array(buffer: r.body)
            XCTAssertEqual(r.headers[.contentType], "image/webp")
            XCTAssertEqual(Array(thumb[0..<4]), Array("RIFF".utf8))
            XCTAssertEqual(Array(thumb[8..<12]), Array("WEBP".utf8))

            for (purpose, file, name, type, kind) in [
                ("portfolio", try Fixtures.sample("png"), "work.png", "image/png", "png"),
                ("id_document", Fixtures.pdf, "license.pdf", "application/pdf", "pdf"),
                ("chat_attachment", Fixtures.docx(), "quote.docx", nil, "docx"),
            ] as [(String, [UInt8], String, String?, String)] {
                r = try await Self.upload(h, as: h.alice, purpose: purpose, file: file, name: name, type: type)
                XCTAssertEqual(r.status, .created, "\(purpose): \(Self.body(r))")
                XCTAssertEqual((Self.body(r)["data"] as? [String: Any])?["kind"] as? String, kind)
            }

            // Non-ASCII in a file name and CRLF + ASCII + non-ASCII in a body pass the guard in front of the multipart parser.
            r = try await Self.upload(h, as: h.alice, purpose: "chat_attachment", file: Fixtures.pdf + [0xC3, 0x0D, 0x0A, 0x41, 0xFF],
                                      name: "r\u{E9}sum\u{E9}.pdf", type: "application/pdf")
            XCTAssertEqual(r.status, .created, "\(Self.body(r))")
            XCTAssertEqual((Self.body(r)["data"] as? [String: Any])?["originalName"] as? String, "r\u{E9}sum\u{E9}.pdf")

            // Names Postgres could not keep as sent: a NUL, and 300 "é" written as e + combining accent
            // (300 characters to Swift, 600 to the VARCHAR(255) column). Kept, cleaned, not a 500.
            for (name, kept) in [("quo\u{0}te\u{7}.pdf", "quote.pdf"), (String(repeating: "e\u{301}", count: 300) + ".pdf", String(repeating: "e\u{301}", count: 127))] {
                r = try await Self.upload(h, as: h.alice, purpose: "chat_attachment", file: Fixtures.pdf, name: name, type: "application/pdf")
                XCTAssertEqual(r.status, .created, "\(Self.body(r))")
                XCTAssertEqual((Self.body(r)["data"] as? [String: Any])?["originalName"] as? String, kept)
            }
        }
    }

    func testTheBytesDecideTheTypeAndTheLimitsStopLargeUploads() async throws {
        // The limits are configuration: 1 MiB images and 2 MiB documents here
        // keep the test quick; the defaults are 10 and 50 MiB.
        try await Self.withFiles("filesbad", redisDB: 20, settings: [
            "FILE_MAX_IMAGE_BYTES": "1048576", "FILE_MAX_DOCUMENT_BYTES": "2097152", "FILE_MAX_IMAGE_PIXELS": "100000",
        ]) { h in
            let png = try Fixtures.sample("png", width: 32, height: 32)
            for (purpose, file, name, type) in [
                ("id_document", png, "license.pdf", nil),                                  // a PNG renamed .pdf
                ("id_document", Fixtures.pdf, "license.pdf", "image/png"),                 // a PDF sent as an image
                ("chat_attachment", Fixtures.zip([("notes.txt", Array("hi".utf8))]), "notes.docx", nil),  // a zip that is not a docx
                ("chat_attachment", Array("just some text\n".utf8), "notes.txt", "text/plain"),
                ("avatar", Fixtures.pdf, "me.pdf", "application/pdf"),                    // a PDF is no avatar
            ] as [(String, [UInt8], String, String?)] {
                let r = try await Self.upload(h, as: h.alice, purpose: purpose, file: file, name: name, type: type)
                XCTAssertEqual(r.status, .unsupportedMediaType, "\(name) as \(purpose)")
                XCTAssertEqual((Self.body(r)["error"] as? [String: Any])?["code"] as? String, "UNSUPPORTED_MEDIA_TYPE")
            }
            var r = try await Self.upload(h, as: h.alice, purpose: "selfie", file: png, name: "a.png")
            XCTAssertEqual(r.status, .badRequest)
            r = try await Self.upload(h, as: h.alice, purpose: "avatar", file: nil)
            XCTAssertEqual(r.status, .badRequest)
            r = try await h.client.execute(uri: "/v1/files/upload", method: .post, headers: h.alice, body: ByteBuffer(string: "{}")) { $0 }
            XCTAssertEqual(r.status, .unsupportedMediaType)
            // A non-ASCII byte in a part's header name trapped MultipartKit's parser (the process stopped):
            // a 400 now, as the first header or after another.
            var multipart = h.alice
            multipart[.contentType] = "multipart/form-data; boundary=ttBoundary42"
            for body in ["--ttBoundary42\r\n\u{D6}%--ttBoundary42--\r\n",
                         "--ttBoundary42\r\nContent-Disposition: form-data; name=\"purpose\"\r\nX-\u{E9}t\u{E9}: 1\r\n\r\navatar\r\n--ttBoundary42--\r\n"] {
                r = try await h.client.execute(uri: "/v1/files/upload", method: .post, headers: multipart, body: ByteBuffer(string: body)) { $0 }
                XCTAssertEqual(r.status, .badRequest, body)
            }

            // An image and a document each just over their limit.
            let bigImage = Array(png.prefix(8)) + [UInt8](repeating: 0, count: (1 << 20) + 1)
            r = try await Self.upload(h, as: h.alice, purpose: "portfolio", file: bigImage, name: "big.png")
            XCTAssertEqual(r.status, .contentTooLarge)
            let bigDocument = Array("%PDF-1.4\n".utf8) + [UInt8](repeating: 0x20, count: (2 << 20) + 1)
            r = try await Self.upload(h, as: h.alice, purpose: "chat_attachment", file: bigDocument, name: "big.pdf")
            XCTAssertEqual(r.status, .contentTooLarge)
            XCTAssertEqual((Self.body(r)["error"] as? [String: Any])?["code"] as? String, "PAYLOAD_TOO_LARGE")
            // A decompression bomb is refused from its header: here anything over 100,000 pixels.
            r = try await Self.upload(h, as: h.alice, purpose: "portfolio", file: try Fixtures.sample("png", width: 640, height: 480), name: "wide.png")
            XCTAssertEqual(r.status, .contentTooLarge)
            XCTAssertTrue(((Self.body(r)["error"] as? [String: Any])?["message"] as? String ?? "").contains("640×480"))
            let kept = try await Self.count(h, "SELECT count(*)::int FROM file.files")
            XCTAssertEqual(kept, 0, "nothing refused is kept")
        }
    }

    func testEICARIsRefusedAndNothingIsKept() async throws {
        try await Self.withFiles("fileseicar", redisDB: 21) { h in
            let r = try await Self.upload(h, as: h.alice, purpose: "chat_attachment", file: Fixtures.docx(extra: [("eicar.com", Fixtures.eicar)]),
                                          name: "invoice.docx")
            XCTAssertEqual(r.status, .unprocessableContent, "\(Self.body(r))")
            XCTAssertEqual((Self.body(r)["error"] as? [String: Any])?["code"] as? String, "FILE_INFECTED")
            let kept = try await Self.count(h, "SELECT count(*)::int FROM file.files")
            XCTAssertEqual(kept, 0)
            let stored = (try? FileManager.default.subpathsOfDirectory(atPath: h.storage.path)) ?? []
            XCTAssertFalse(stored.contains { $0.hasSuffix(".docx") }, "\(stored)")
        }
    }

    func testWithoutTheScannerNothingIsKept() async throws {
        try await Self.withFiles("filesnoscan", redisDB: 22, settings: ["CLAMD_PORT": "1"]) { h in
            let r = try await Self.upload(h, as: h.alice, purpose: "id_document", file: Fixtures.pdf, name: "id.pdf")
            XCTAssertEqual(r.status, .serviceUnavailable)
            XCTAssertEqual((Self.body(r)["error"] as? [String: Any])?["code"] as? String, "SCANNER_UNAVAILABLE")
            let kept = try await Self.count(h, "SELECT count(*)::int FROM file.files")
            XCTAssertEqual(kept, 0)
        }
    }

    func testPrivateFilesSignedLinksAndDeletion() async throws {
        try await Self.withFiles("filesprivate", redisDB: 23) { h in
            var r = try await Self.upload(h, as: h.alice, purpose: "id_document", file: Fixtures.pdf, name: "license.pdf", type: "application/pdf")
            let file = try XCTUnwrap(Self.body(r)["data"] as? [String: Any])
            let id = try XCTUnwrap(file["id"] as? String)
            r = try await h.client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.bob) { $0 }
            XCTAssertEqual(r.status, .notFound, "someone else's private file")
            r = try await h.client.execute(uri: "/v1/files/\(id)", method: .get) { $0 }
            XCTAssertEqual(r.status, .notFound)
            r = try await h.client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.admin) { $0 }
            XCTAssertEqual(r.status, .ok)
            r = try await h.client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.alice) { $0 }
            let link = try XCTUnwrap(((Self.body(r)["data"] as? [String: Any])?["urls"] as? [String: String])?["original"])

            r = try await Self.fetch(h, link)
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(Array(buffer: r.body), Fixtures.pdf)
            XCTAssertEqual(r.headers[.cacheControl]?.hasPrefix("private"), true)
            XCTAssertEqual(r.headers[.contentDisposition], "attachment; filename=\"license.pdf\"")
            r = try await Self.fetch(h, link.replacingOccurrences(of: "variant=original", with: "variant=thumb"))
            XCTAssertEqual(r.status, .forbidden, "the signature covers the variant")
            let tampered = String(link.dropLast()) + (link.hasSuffix("A") ? "B" : "A")
            r = try await Self.fetch(h, tampered)
            XCTAssertEqual(r.status, .forbidden)
            let past = Int64(Date().timeIntervalSince1970) - 10
            let expired = URLSigner(secret: "dev-only-file-url-secret").path(id: UUID(uuidString: id)!, variant: "original", expires: past)
            r = try await h.client.execute(uri: expired, method: .get) { $0 }
            XCTAssertEqual(r.status, .forbidden)
            XCTAssertEqual((Self.body(r)["error"] as? [String: Any])?["message"] as? String, "This link has expired")

            // Core shares it with the other side of a chat (service credential).
            let credential = ServiceCredential(secret: "file-test-internal")
            var internalHeaders: HTTPFields = [.contentType: "application/json"]
            internalHeaders[HTTPField.Name("X-Service-Token")!] = credential.token(for: "core-service")
            r = try await h.client.execute(uri: "/internal/files/\(id)/viewers", method: .post, headers: internalHeaders,
                                           body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: ["userIds": [h.bobId]]))) { $0 }
            XCTAssertEqual(r.status, .ok, "\(Self.body(r))")
            r = try await h.client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.bob) { $0 }
            XCTAssertEqual(r.status, .ok)
            r = try await h.client.execute(uri: "/internal/files/\(id)", method: .get) { $0 }
            XCTAssertNotEqual(r.status, .ok, "internal routes need the service credential")

            // Only the owner (or an admin) deletes; the stored object goes by the queue.
            r = try await h.client.execute(uri: "/v1/files/\(id)", method: .delete, headers: h.bob) { $0 }
            XCTAssertEqual(r.status, .forbidden)
            r = try await h.client.execute(uri: "/v1/files/\(id)", method: .delete, headers: h.alice) { $0 }
            XCTAssertEqual(r.status, .noContent)
            r = try await h.client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.alice) { $0 }
            XCTAssertEqual(r.status, .notFound)
            r = try await Self.fetch(h, link)
            XCTAssertEqual(r.status, .notFound, "a deleted file's links stop working")
            let object = h.storage.appendingPathComponent("files/\(id)/original.pdf").path
            var gone = false
            for _ in 0..<200 where !gone {
                gone = !FileManager.default.fileExists(atPath: object)
                if !gone { try await Task.sleep(for: .milliseconds(50)) }
            }
            XCTAssertTrue(gone, "the object was removed")
        }
    }

    static func count(_ h: Harness, _ sql: String) async throws -> Int {
        try await TestEnvironment.withDatabase(h.fileDB, logger: h.logger) { client in
            for try await n in try await client.query(PostgresQuery(unsafeSQL: sql), logger: h.logger).decode(Int.self) { return n }
            return 0
        }
    }
}

/// The S3 path: Signature V4 as AWS documents it, and the whole service on
/// moto's S3 server (started by `make test`; S3_TEST_ENDPOINT).
final class S3StorageTests: XCTestCase {
    func testSignatureV4MatchesAWSsPublishedExample() {
        // AWS: "Example: GET Object" (Signature Version 4, header-based authentication).
        let signer = SigV4(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
        let date = ISO8601.date(from: "2013-05-24T00:00:00Z")!
        let headers = signer.sign(method: "GET", path: "/test.txt", headers: ["host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9"],
                                  payloadHash: SigV4.emptyPayloadHash, date: date)
        XCTAssertEqual(headers["Authorization"],
                       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                       + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                       + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    func testUploadsLiveInTheBucketAndLeaveItWhenDeleted() async throws {
        guard let endpoint = ProcessInfo.processInfo.environment["S3_TEST_ENDPOINT"] else {
            throw XCTSkip("S3_TEST_ENDPOINT is not set (make test starts moto)")
        }
        let bucket = "tt-files-\(UUID().uuidString.prefix(8).lowercased())"
        try await FileAPITests.withFiles("filess3", redisDB: 24, settings: [
            "FILE_STORAGE": "s3", "S3_ENDPOINT": endpoint, "S3_BUCKET": bucket, "S3_REGION": "ap-southeast-1",
            "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_CREATE_BUCKET": "true",
        ]) { h in
            var r = try await FileAPITests.upload(h, as: h.alice, purpose: "portfolio", file: try Fixtures.sample("jpg"), name: "kitchen.jpg")
            XCTAssertEqual(r.status, .created, "\(FileAPITests.body(r))")
            let file = try XCTUnwrap(FileAPITests.body(r)["data"] as? [String: Any])
            let id = try XCTUnwrap(file["id"] as? String)
            let s3 = S3Storage(endpoint: endpoint, bucket: bucket, region: "ap-southeast-1", accessKey: "testing", secretKey: "testing")
            let key = "files/\(id)/thumb.webp"
            // The object is in the bucket, read back through S3 with a signed request.
            let direct = try await s3.fetch(key: key)
            XCTAssertEqual(direct.status, 200)
            XCTAssertEqual(Array(direct.body[8..<12]), Array("WEBP".utf8))
            // And the signed link streams it from S3.
            r = try await FileAPITests.fetch(h, (file["urls"] as! [String: String])["thumb"]!)
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(Array(buffer: r.body), direct.body)

            r = try await h.client.execute(uri: "/v1/files/\(id)", method: .delete, headers: h.alice) { $0 }
            XCTAssertEqual(r.status, .noContent)
            var gone = false
            for _ in 0..<200 where !gone {
                gone = try await s3.fetch(key: key).status == 404
                if !gone { try await Task.sleep(for: .milliseconds(50)) }
            }
            XCTAssertTrue(gone, "the objects were removed from the bucket")
        }
    }
}
