import Crypto
import Foundation

/// PayMongo's `Paymongo-Signature: t=<unix>,te=<hex>,li=<hex>`: HMAC-SHA256
/// of `"<t>.<raw body>"` with the webhook's secret; `te` is set in test
/// mode, `li` in live mode. Pure.
public enum WebhookSignature {
    public enum Failure: Error, Equatable { case malformed, mismatch, stale }

    /// Checks the header against the raw body; `now` in Unix seconds.
    public static func verify(header: String, body: [UInt8], secret: String, liveMode: Bool, now: Int64,
                              tolerance: Int64 = 300) throws(Failure) {
        var parts: [String: String] = [:]
        for piece in header.split(separator: ",") {
            let kv = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2 { parts[kv[0]] = kv[1] }
        }
        guard let t = parts["t"], let timestamp = Int64(t) else { throw .malformed }
        guard let given = parts[liveMode ? "li" : "te"], !given.isEmpty, let givenBytes = hexBytes(given) else { throw .malformed }
        let expected = mac(timestamp: t, body: body, secret: secret)
        // Constant-time comparison of the MACs.
        guard givenBytes.count == expected.count, zip(givenBytes, expected).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw .mismatch
        }
        guard abs(now - timestamp) <= tolerance else { throw .stale }
    }

    /// The header PayMongo would send (for the stand-in and tests).
    public static func header(body: [UInt8], secret: String, liveMode: Bool, timestamp: Int64) -> String {
        let signature = mac(timestamp: String(timestamp), body: body, secret: secret).map { String(format: "%02x", $0) }.joined()
        return liveMode ? "t=\(timestamp),te=,li=\(signature)" : "t=\(timestamp),te=\(signature),li="
    }

    static func mac(timestamp: String, body: [UInt8], secret: String) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        hmac.update(data: Array(timestamp.utf8) + [UInt8(ascii: ".")] + body)
        return Array(hmac.finalize())
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
