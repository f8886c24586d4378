import Foundation

/// Phone numbers as every service stores them.
public enum PhoneNumber {
    /// Philippine numbers in E.164: mobiles `09171234567`, `9171234567`,
    /// `639171234567`, `+63 917 123 4567` all become `+639171234567`; Metro
    /// Manila landlines `(02) 8123 4567` become `+63281234567`. Other
    /// countries' numbers must already be in E.164 (`+` and 8–15 digits).
    public static func normalize(_ raw: String) -> String? {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || " -().+".contains($0)) }) else { return nil }
        let plus = trimmed.hasPrefix("+")
        let digits = trimmed.filter(\.isNumber)
        var national: Substring
        if plus {
            guard digits.hasPrefix("63") else {
                return (8...15).contains(digits.count) && !digits.hasPrefix("0") ? "+" + digits : nil
            }
            national = digits.dropFirst(2)
        } else if digits.hasPrefix("63") && digits.count == 12 {
            national = digits.dropFirst(2)
        } else if digits.hasPrefix("0") {
            national = digits.dropFirst()
        } else {
            national = Substring(digits)
        }
        // Mobile: 9XX XXX XXXX. Manila landline: 2 XXXX XXXX. Provincial: area code (2 digits) + 7 digits.
        let valid = (national.count == 10 && national.hasPrefix("9"))
            || (national.count == 9 && national.hasPrefix("2"))
            || (national.count == 9 && national.first.map { "345678".contains($0) } == true)
        return valid ? "+63" + national : nil
    }

    /// A Philippine mobile number (`+639XXXXXXXXX`), the kind SMS reaches.
    public static func isPhilippineMobile(_ e164: String) -> Bool {
        e164.hasPrefix("+639") && e164.count == 13
    }
}
