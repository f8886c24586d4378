import Crypto
import Foundation

/// Seals sensitive fields at rest (bank accounts) with AES-256-GCM: nonce,
/// ciphertext and tag in one value; a changed byte fails to open.
public struct Sealer: Sendable {
    let key: SymmetricKey

    /// `base64Key`: 32 random bytes, base64 (`PAYMENT_DATA_KEY`).
    public init(base64Key: String) throws {
        guard let data = Data(base64Encoded: base64Key), data.count == 32 else { throw Invalid() }
        key = SymmetricKey(data: data)
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String { "PAYMENT_DATA_KEY must be 32 bytes, base64 (openssl rand -base64 32)" }
    }

    public func seal(_ plaintext: String) throws -> [UInt8] {
        Array(try AES.GCM.seal(Data(plaintext.utf8), using: key).combined!)
    }

    public func open(_ sealed: [UInt8]) throws -> String {
        String(decoding: try AES.GCM.open(try AES.GCM.SealedBox(combined: Data(sealed)), using: key), as: UTF8.self)
    }
}
