import Crypto
import Foundation

/// Short-lived links to a file's bytes: `/v1/files/{id}/content?variant=…&expires=…&signature=…`,
/// the signature an HMAC-SHA256 over id, variant and expiry (base64url). Pure.
public struct URLSigner: Sendable {
    let key: SymmetricKey

    public init(secret: String) {
        key = SymmetricKey(data: Data(secret.utf8))
    }

    public func signature(id: UUID, variant: String, expires: Int64) -> String {
        let message = "\(id.uuidString.lowercased())\n\(variant)\n\(expires)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key)
        return Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public func path(id: UUID, variant: String, expires: Int64) -> String {
        "/v1/files/\(id.uuidString.lowercased())/content?variant=\(variant)&expires=\(expires)&signature=\(signature(id: id, variant: variant, expires: expires))"
    }

    public enum Refusal: Error, Equatable { case expired, badSignature }

    /// Constant-time comparison; an expired link is refused even when signed.
    public func check(id: UUID, variant: String, expires: Int64, signature: String, now: Int64) throws(Refusal) {
        let want = Array(self.signature(id: id, variant: variant, expires: expires).utf8)
        let got = Array(signature.utf8)
        var diff = UInt8(want.count == got.count ? 0 : 1)
        for (a, b) in zip(want, got) { diff |= a ^ b }
        guard diff == 0 else { throw .badSignature }
        guard now <= expires else { throw .expired }
    }
}
