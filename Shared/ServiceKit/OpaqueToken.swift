import Crypto
import Foundation

/// A secret handed to a person once (refresh token, email link token, chat
/// socket ticket) and stored only as its SHA-256, so a database or Redis
/// leak reveals no usable token.
public struct OpaqueToken: Sendable {
    public let value: String
    public var hash: [UInt8] { Self.hash(value) }

    public init(value: String) { self.value = value }

    /// 256 random bits, base64url.
    public static func generate() -> OpaqueToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return OpaqueToken(value: Base64URL.encode(bytes))
    }

    public static func hash(_ value: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(value.utf8)))
    }

    /// A token that cannot be ours is refused before any database work.
    public static func looksValid(_ value: String) -> Bool {
        value.count == 43 && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
