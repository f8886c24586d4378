import Crypto
import Foundation

/// The credential one service shows another on `/internal/...` calls:
/// `<service>.<unix seconds>.<hex HMAC-SHA256(secret, "<service>.<unix seconds>")>`.
/// It names the caller, expires after a few minutes, and cannot be made
/// without the shared secret that never leaves the internal network.
public struct ServiceCredential: Sendable {
    public let secret: SymmetricKey
    public let maxAge: TimeInterval

    public init(secret: String, maxAge: TimeInterval = 300) {
        self.secret = SymmetricKey(data: Data(secret.utf8))
        self.maxAge = maxAge
    }

    public func token(for service: String, at date: Date = Date()) -> String {
        let message = "\(service).\(Int(date.timeIntervalSince1970))"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: secret)
        return "\(message).\(Data(mac).map { String(format: "%02x", $0) }.joined())"
    }

    /// The calling service's name, or nil when the token is forged, malformed or stale.
    public func verify(_ token: String, now: Date = Date()) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let ts = Int(parts[1]), !parts[0].isEmpty,
              abs(now.timeIntervalSince1970 - TimeInterval(ts)) <= maxAge,
              let given = Self.hexBytes(parts[2])
        else { return nil }
        let message = "\(parts[0]).\(parts[1])"
        guard HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Data(message.utf8), using: secret) else { return nil }
        return String(parts[0])
    }

    static func hexBytes(_ hex: Substring) -> [UInt8]? {
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let b = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(b)
            index = next
        }
        return bytes
    }
}
