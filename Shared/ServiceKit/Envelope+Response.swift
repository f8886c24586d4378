import Foundation
import HTTPTypes
import Hummingbird
import TrustTradeDTO

/// JSON encoder/decoder of the API: camelCase, ISO-8601 dates.
public enum APIJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(ISO8601.string(from: date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let d = ISO8601.date(from: s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "Expected an ISO-8601 date")
            }
            return d
        }
        return decoder
    }
}

extension RequestContext {
    /// The request id the request-id middleware put in the logger's metadata.
    public var currentRequestId: String {
        if case .string(let id)? = logger[metadataKey: "requestId"] { return id }
        return logger[metadataKey: "hb.request.id"]?.description ?? "unknown"
    }
}

/// A success response in the seed's envelope.
public struct Envelope<T: Codable & Sendable>: ResponseGenerator, Sendable {
    public var data: T
    public var status: HTTPResponse.Status
    public var pagination: Pagination?
    public var headers: HTTPFields

    public init(_ data: T, status: HTTPResponse.Status = .ok, pagination: Pagination? = nil, headers: HTTPFields = [:]) {
        self.data = data
        self.status = status
        self.pagination = pagination
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = SuccessEnvelope(data: data, pagination: pagination, meta: ResponseMeta(requestId: context.currentRequestId))
        return try jsonResponse(body, status: status, headers: headers)
    }
}

func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status, headers extra: HTTPFields = [:]) throws -> Response {
    let data = try APIJSON.encoder().encode(value)
    var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .contentLength: String(data.count)]
    headers.append(contentsOf: extra)
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

extension Request {
    /// Decodes a JSON body. Malformed JSON, missing fields and wrong types are
    /// 400s naming the field; a body that is too large is a 413; a body that
    /// says it is not JSON is a 415.
    public func decodeJSON<T: Decodable>(as type: T.Type, context: some RequestContext) async throws -> T {
        try refuseNonJSON()
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        if buffer.readableBytes == 0 {
            throw APIError(.badRequest, code: .validation, message: "A JSON body is required")
        }
        return try Self.decode(T.self, from: buffer)
    }

    /// Like `decodeJSON`, for endpoints whose body may be left out: no body
    /// gives `fallback`.
    public func decodeOptionalJSON<T: Decodable>(as type: T.Type, default fallback: T, context: some RequestContext) async throws -> T {
        if let length = headers[.contentLength], length == "0" { return fallback }
        var copy = self
        let buffer = try await copy.collectBody(upTo: context.maxUploadSize)
        if buffer.readableBytes == 0 { return fallback }
        try refuseNonJSON()
        return try Self.decode(T.self, from: buffer)
    }

    private func refuseNonJSON() throws {
        if let contentType = headers[.contentType], !contentType.lowercased().contains("json") {
            throw APIError(.unsupportedMediaType, code: .unsupportedMediaType, message: "Send the body as application/json")
        }
    }

    /// PostgreSQL keeps no NUL character in text or jsonb, so a string with
    /// one (`\u0000` in the JSON) could never be stored: a 400 here, not a
    /// failed query later. Decoding errors become 400s naming the field.
    private static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        if JSONText.containsNULEscape(buffer.readableBytesView) {
            throw APIError(.badRequest, code: .validation, message: "Text must not contain the NUL character (\\u0000)")
        }
        do {
            return try APIJSON.decoder().decode(T.self, from: buffer)
        } catch let error as DecodingError {
            throw APIError.from(error)
        }
    }
}

public enum JSONText {
    /// Whether JSON text has a `\u0000` escape (a `\\u0000`, an escaped
    /// backslash then "u0000", is ordinary text).
    public static func containsNULEscape(_ bytes: some Collection<UInt8>) -> Bool {
        let backslash = UInt8(ascii: "\\"), u = UInt8(ascii: "u"), zero = UInt8(ascii: "0")
        var index = bytes.startIndex
        while index != bytes.endIndex {
            guard bytes[index] == backslash else {
                index = bytes.index(after: index)
                continue
            }
            let next = bytes.index(after: index)
            guard next != bytes.endIndex else { return false }
            if bytes[next] == u {
                let digits = bytes[bytes.index(after: next)...].prefix(4)
                if digits.count == 4 && digits.allSatisfy({ $0 == zero }) { return true }
            }
            index = bytes.index(after: next)
        }
        return false
    }
}

extension APIError {
    static func from(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            let p = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let field = path(ctx.codingPath, key)
            return APIError(.badRequest, code: .validation, message: "\(field) is required", details: [.init(field: field, message: "is required")])
        case .valueNotFound(_, let ctx):
            let field = path(ctx.codingPath)
            return APIError(.badRequest, code: .validation, message: "\(field) must not be null", details: [.init(field: field, message: "must not be null")])
        case .typeMismatch(let type, let ctx):
            let field = path(ctx.codingPath)
            let expected = String(describing: type).replacingOccurrences(of: "Swift.", with: "")
            return APIError(.badRequest, code: .validation, message: "\(field) has the wrong type (expected \(expected))", details: [.init(field: field, message: "expected \(expected)")])
        case .dataCorrupted(let ctx):
            if ctx.codingPath.isEmpty {
                return APIError(.badRequest, code: .badRequest, message: "The body is not valid JSON")
            }
            let field = path(ctx.codingPath)
            return APIError(.badRequest, code: .validation, message: "\(field) is invalid", details: [.init(field: field, message: ctx.debugDescription)])
        @unknown default:
            return APIError(.badRequest, code: .badRequest, message: "The body could not be read")
        }
    }
}

extension Envelope {
    /// One page of a list, with the seed's pagination block.
    public init(_ items: T, page: PageRequest, total: Int) {
        self.init(items, pagination: Pagination(page: page.page, limit: page.limit, total: total))
    }
}

extension Request {
    /// `page` and `limit` from the query string (400 when malformed).
    public func pageRequest() throws -> PageRequest {
        let query = uri.queryParameters
        return try PageRequest.parse(page: query.get("page"), limit: query.get("limit")).mapError(\.apiError).get()
    }
}
