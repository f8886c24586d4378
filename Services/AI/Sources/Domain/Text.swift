import Foundation

/// Words as the analyzers see them: lower case, accents folded (ñ → n),
/// split on anything that is not a letter or a digit; hyphens inside a word
/// split it too ("mag-ayos" → "mag", "ayos"). Pure.
public enum TextTokens {
    public static func words(_ text: String) -> [String] {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased()
        var words: [String] = []
        var current = ""
        for scalar in folded.unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) || scalar == "'" {
                if scalar != "'" { current.unicodeScalars.append(scalar) }
            } else {
                if !current.isEmpty { words.append(current) }
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Tokens with sentence breaks kept (`.`, `!`, `?`, `,` end a negation's reach).
    public static func tokensWithBreaks(_ text: String) -> [String] {
        var out: [String] = []
        var chunk = ""
        for ch in text {
            if ".!?,;".contains(ch) {
                out += words(chunk)
                out.append(String(ch))
                chunk = ""
            } else {
                chunk.append(ch)
            }
        }
        return out + words(chunk)
    }
}

/// English, Filipino, or both mixed (Taglish), from function words. Pure.
public enum LanguageGuess: String, Sendable, Codable {
    case en, fil, taglish, unknown

    static let filipino: Set<String> = [
        "ang", "ng", "sa", "na", "mga", "ko", "mo", "po", "naman", "lang", "hindi", "di", "talaga", "yung", "kasi", "pero", "siya", "kami",
        "namin", "natin", "ako", "ikaw", "ka", "nila", "niya", "ba", "pa", "din", "rin", "at", "ay", "wala", "walang", "may", "ito", "iyan",
        "yan", "dito", "doon", "kung", "para", "tapos", "sobrang", "napaka", "opo", "salamat", "kuya", "ate", "lamang", "nang", "ninyo", "kayo",
    ]
    static let english: Set<String> = [
        "the", "and", "is", "was", "to", "of", "very", "not", "but", "it", "he", "she", "they", "we", "you", "i", "my", "our", "a", "an",
        "in", "on", "for", "with", "this", "that", "are", "were", "be", "have", "has", "had", "will", "would", "did", "do", "does", "so",
        "at", "from", "after", "before", "again", "please", "thank", "thanks",
    ]

    public static func of(_ words: [String]) -> LanguageGuess {
        let fil = words.filter { filipino.contains($0) }.count
        let en = words.filter { english.contains($0) }.count
        switch (fil, en) {
        case (0, 0): return .unknown
        case (_, 0): return .fil
        case (0, _): return .en
        default:
            let share = Double(fil) / Double(fil + en)
            return share >= 0.8 ? .fil : share <= 0.2 ? .en : .taglish
        }
    }
}
