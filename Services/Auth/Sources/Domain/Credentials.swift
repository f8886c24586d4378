import Foundation
import TrustTradeDTO

/// Rules about what people type when they sign up: pure functions, no I/O.
public enum Credentials {
    /// Lower-cased, trimmed address if it is a plausible email, else nil.
    /// Case-insensitive uniqueness is enforced by the database on lower(email).
    public static func normalizeEmail(_ raw: String) -> String? {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard email.count <= 254, email.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { return nil }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.count <= 64, !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }), let tld = labels.last, tld.count >= 2, tld.allSatisfy(\.isLetter) else { return nil }
        let allowedLocal = Set("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-")
        guard local.allSatisfy({ allowedLocal.contains($0) }) else { return nil }
        return email
    }

    /// Phone numbers in E.164 (`PhoneNumber.normalize`, shared by every service).
    public static func normalizePhone(_ raw: String) -> String? {
        PhoneNumber.normalize(raw)
    }

    public static let minimumPasswordLength = 8
    /// bcrypt only reads 72 bytes: longer passwords would silently lose their tail.
    public static let maximumPasswordBytes = 72

    private static let commonPasswords: Set<String> = [
        "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwerty123",
        "iloveyou", "iloveyou1", "abc12345", "11111111", "00000000", "letmein1", "welcome1",
        "admin123", "passw0rd", "p@ssw0rd", "qwertyuiop", "trusttrade", "trusttrade1", "manila123",
        "pilipinas", "philippines", "mahalkita", "mahalkita1", "princess1", "sunshine1",
    ]

    /// Problems with a password, empty when it is acceptable.
    public static func passwordProblems(_ password: String, email: String?) -> [String] {
        var problems: [String] = []
        if password.count < minimumPasswordLength {
            problems.append("must be at least \(minimumPasswordLength) characters")
        }
        if password.utf8.count > maximumPasswordBytes {
            problems.append("must be at most \(maximumPasswordBytes) bytes")
        }
        // bcrypt reads a C string: whatever follows a NUL byte would not count.
        if password.utf8.contains(0) {
            problems.append("must not contain a NUL character")
        }
        if !password.contains(where: \.isLetter) || !password.contains(where: { $0.isNumber || $0.isPunctuation || $0.isSymbol }) {
            problems.append("must contain a letter and a number or symbol")
        }
        let lowered = password.lowercased()
        if commonPasswords.contains(lowered) {
            problems.append("is too common")
        }
        if let email, let local = email.split(separator: "@").first, local.count >= 4, lowered.contains(local) {
            problems.append("must not contain your email address")
        }
        return problems
    }

    public static func normalizeFullName(_ raw: String) -> String? {
        let name = raw.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard (1...255).contains(name.count), !name.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 32 } == true }) else { return nil }
        return name
    }
}
