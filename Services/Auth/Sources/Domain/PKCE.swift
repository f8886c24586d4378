import Crypto
import Foundation
import ServiceKit

/// PKCE (RFC 7636) with S256.
public enum PKCE {
    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(verifier.utf8)))
    }
}
