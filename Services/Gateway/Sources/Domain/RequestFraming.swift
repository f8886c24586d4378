import NIOHTTP1

/// How a request's body is delimited (RFC 9112 §6.3), decided by the gateway
/// alone from the parsed head. The upstream request is always sent with the
/// same framing spelled out, so the service and the gateway can never
/// disagree about where one request ends and the next begins.
public enum RequestFraming: Equatable, Sendable {
    /// No body (no `Content-Length`, no `Transfer-Encoding`, or `Content-Length: 0`).
    case none
    case contentLength(Int)
    case chunked

    /// Why a head is refused: the status and a message for the envelope.
    public struct Refusal: Error, Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            /// 400: ambiguous or malformed framing.
            case badRequest
            /// 405: a method a gateway never proxies.
            case methodNotAllowed
            /// 501: a transfer coding we do not implement.
            case notImplemented
        }
        public let kind: Kind
        public let message: String
    }

    /// Methods whose requests carry no body here. Their bodies have no
    /// defined meaning (RFC 9110 §9.3) and are the classic smuggling carrier,
    /// so they are refused rather than forwarded.
    static func isBodiless(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .DELETE: true
        default: false
        }
    }

    /// Methods never proxied: TRACE reflects headers (cookies, tokens) back,
    /// CONNECT would open a raw tunnel to anywhere.
    static func isRefused(_ method: HTTPMethod) -> Bool {
        switch method {
        case .TRACE, .CONNECT: true
        default: false
        }
    }

    /// The framing of `head`, or why it is refused. The HTTP decoder in
    /// front (llhttp, strict) already refuses most malformed heads; this is
    /// the gateway's own decision on what it parsed, so a laxer decoder
    /// would not open the door again.
    public static func of(_ head: HTTPRequestHead) -> Result<RequestFraming, Refusal> {
        if isRefused(head.method) {
            return .failure(Refusal(kind: .methodNotAllowed, message: "\(head.method.rawValue) is not allowed"))
        }
        if head.version.major != 1 {
            return .failure(Refusal(kind: .badRequest, message: "Only HTTP/1.x is spoken here"))
        }
        let codings = head.headers["transfer-encoding"]
        let lengths = head.headers["content-length"]
        let framing: RequestFraming
        if !codings.isEmpty {
            if !lengths.isEmpty {
                return .failure(Refusal(kind: .badRequest, message: "Transfer-Encoding and Content-Length together are ambiguous"))
            }
            if head.version.minor == 0 {
                return .failure(Refusal(kind: .badRequest, message: "Transfer-Encoding is not defined for HTTP/1.0"))
            }
            switch transferCoding(codings) {
            case .chunked: framing = .chunked
            case .unknown(let name):
                return .failure(Refusal(kind: .notImplemented, message: "The transfer coding \(name) is not supported; send chunked or Content-Length"))
            case .malformed:
                return .failure(Refusal(kind: .badRequest, message: "Transfer-Encoding must be exactly chunked"))
            }
        } else if !lengths.isEmpty {
            guard let length = contentLength(lengths) else {
                return .failure(Refusal(kind: .badRequest, message: "Content-Length must be one decimal number"))
            }
            framing = length == 0 ? .none : .contentLength(length)
        } else {
            framing = .none
        }
        if framing != .none, isBodiless(head.method) {
            return .failure(Refusal(kind: .badRequest, message: "A \(head.method.rawValue) request may not have a body"))
        }
        return .success(framing)
    }

    enum Coding: Equatable { case chunked, unknown(String), malformed }

    /// Only a single `chunked` (any letter case, RFC 9112 §7) is accepted:
    /// lists (`chunked, identity`), repeats, and anything with stray
    /// characters are refused, not interpreted.
    static func transferCoding(_ values: [String]) -> Coding {
        guard values.count == 1, let value = values.first else { return .malformed }
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy(isTokenByte) else { return .malformed }
        if value.lowercased() == "chunked" { return .chunked }
        return .unknown(value)
    }

    /// One value of only digits; repeats must all be the same number
    /// (RFC 9112 §6.3 allows a recipient to accept identical repeats).
    static func contentLength(_ values: [String]) -> Int? {
        var result: Int?
        for value in values {
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = part.utf8.count <= 18 ? part : ""
                guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(digits) else { return nil }
                if let result, result != n { return nil }
                result = n
            }
        }
        return result
    }

    /// RFC 9110 §5.6.2 tchar.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }

    /// The framing headers the upstream request carries: always explicit
    /// for methods that may have a body (a bare POST gets `Content-Length:
    /// 0`, never left to the encoder's guess).
    func upstreamHeader(for method: HTTPMethod) -> (String, String)? {
        switch self {
        case .contentLength(let n): ("Content-Length", String(n))
        case .chunked: ("Transfer-Encoding", "chunked")
        case .none: Self.isBodiless(method) ? nil : ("Content-Length", "0")
        }
    }
}
