import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Objects in an S3 bucket (or anything that speaks S3: MinIO, moto), with
/// path-style URLs and Signature V4 requests over async-http-client. Uploads
/// stream from the file; downloads stream to the client.
public struct S3Storage: BlobStorage {
    let endpoint: String
    let bucket: String
    let signer: SigV4
    let http: HTTPClient

    public init(endpoint: String, bucket: String, region: String, accessKey: String, secretKey: String, http: HTTPClient = .shared) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.bucket = bucket
        self.signer = SigV4(accessKey: accessKey, secretKey: secretKey, region: region)
        self.http = http
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    func request(_ method: HTTPMethod, key: String?, payloadHash: String = SigV4.emptyPayloadHash, extra: [String: String] = [:]) -> HTTPClientRequest {
        let path = "/\(bucket)" + (key.map { "/" + $0 } ?? "")
        let host = URL(string: endpoint)?.host.map { h in URL(string: endpoint)?.port.map { "\(h):\($0)" } ?? h } ?? ""
        var headers = extra
        headers["host"] = host
        let signed = signer.sign(method: method.rawValue, path: path, headers: headers, payloadHash: payloadHash, date: Date())
        let encodedPath = path.split(separator: "/", omittingEmptySubsequences: false).map { SigV4.encode(String($0)) }.joined(separator: "/")
        var request = HTTPClientRequest(url: endpoint + encodedPath)
        request.method = method
        for (name, value) in headers where name != "host" { request.headers.add(name: name, value: value) }
        for (name, value) in signed { request.headers.add(name: name, value: value) }
        return request
    }

    /// Creates the bucket if it is not there (development and tests).
    public func ensureBucket() async throws {
        // Outside us-east-1 the region goes in the body.
        var create: HTTPClientRequest
        if signer.region == "us-east-1" {
            create = request(.PUT, key: nil)
        } else {
            let xml = Data(("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(signer.region)</LocationConstraint></CreateBucketConfiguration>").utf8)
            create = request(.PUT, key: nil, payloadHash: SigV4.hex(SHA256.hash(data: xml)), extra: ["content-length": String(xml.count)])
            create.body = .bytes(ByteBuffer(data: xml))
        }
        let response = try await http.execute(create, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(Int(response.status.code)) || response.status.code == 409 else {
            throw Failure(description: "S3 CreateBucket answered \(response.status.code)")
        }
    }

    public func put(key: String, source: URL, contentType: String) async throws {
        let size = (try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? NSNumber)?.int64Value ?? 0
        var request = request(.PUT, key: key, payloadHash: SigV4.unsignedPayload,
                              extra: ["content-type": contentType, "content-length": String(size)])
        let handle = try FileHandle(forReadingFrom: source)
        // Read as the upload goes (one chunk in memory at a time).
        let chunks = AsyncThrowingStream<ByteBuffer, Error>(unfolding: {
            guard let data = try handle.read(upToCount: 256 * 1024), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            return ByteBuffer(data: data)
        })
        request.body = .stream(chunks, length: .known(size))
        let response = try await http.execute(request, timeout: .seconds(300))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(description: "S3 PutObject \(key) answered \(response.status.code): \(String(buffer: answer).prefix(300))")
        }
    }

    public func body(key: String, context: some RequestContext) async throws -> (ResponseBody, Int64)? {
        let response = try await http.execute(request(.GET, key: key), timeout: .seconds(300))
        if response.status == .notFound {
            _ = try? await response.body.collect(upTo: 1 << 20)
            return nil
        }
        guard response.status == .ok else {
            _ = try? await response.body.collect(upTo: 1 << 20)
            throw Failure(description: "S3 GetObject \(key) answered \(response.status.code)")
        }
        let length = response.headers.first(name: "content-length").flatMap(Int64.init) ?? -1
        return (ResponseBody(asyncSequence: response.body), length)
    }

    /// The whole object and the status S3 answered (small objects; checks and tools).
    public func fetch(key: String) async throws -> (status: Int, body: [UInt8]) {
        let response = try await http.execute(request(.GET, key: key), timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Array(buffer: body))
    }

    public func delete(key: String) async throws {
        let response = try await http.execute(request(.DELETE, key: key), timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(Int(response.status.code)) || response.status == .notFound else {
            throw Failure(description: "S3 DeleteObject \(key) answered \(response.status.code)")
        }
    }
}
