import Foundation

/// Words for matching a request to providers, in English and Filipino alike:
/// stop words dropped, Filipino words mapped to the trade they name
/// ("tubero" → plumb, "maglinis" → clean, "kuryente" → electric), English
/// endings trimmed ("cleaning" → clean, "plumber" → plumb). Documents and
/// requests go through the same steps. Pure.
public enum MatchText {
    public static func terms(_ text: String) -> [String] {
        TextTokens.words(text).compactMap(term)
    }

    static func term(_ word: String) -> String? {
        guard word.count >= 2, !stopWords.contains(word), !word.allSatisfy(\.isNumber) else { return nil }
        if let mapped = synonyms[word] { return mapped }
        // Filipino verb and adjective prefixes on a known root.
        for prefix in ["maglinis", "paglilinis", "naglilinis"] where word == prefix { return "clean" }
        for prefix in ["pag", "mag", "nag", "ma", "pa"] where word.hasPrefix(prefix) && word.count > prefix.count + 3 {
            if let mapped = synonyms[String(word.dropFirst(prefix.count))] { return mapped }
        }
        return stem(word)
    }

    /// A light English stemmer: the endings that separate "clean",
    /// "cleaning", "cleaner", "cleans", "cleaned".
    static func stem(_ word: String) -> String {
        var w = word
        for suffix in ["ings", "ing", "ers", "er", "ed", "es", "s"] where w.count > suffix.count + 3 && w.hasSuffix(suffix) {
            w = String(w.dropLast(suffix.count))
            break
        }
        if w.count > 4, let last = w.last, w.dropLast().last == last, !"lsz".contains(last) { w = String(w.dropLast()) }  // "plumbb", "fitt"
        return w
    }

    static let stopWords: Set<String> = [
        "the", "a", "an", "and", "or", "for", "of", "to", "in", "on", "at", "my", "our", "with", "need", "needs", "needed", "want", "looking",
        "please", "someone", "somebody", "who", "can", "could", "is", "are", "be", "me", "i", "we", "it", "this", "that", "some", "from",
        "ang", "ng", "sa", "na", "mga", "ko", "namin", "natin", "po", "ng", "para", "may", "yung", "ung", "kailangan", "gusto", "ako",
        "kami", "ay", "at", "ni", "si", "nang", "lang", "ba", "pa", "din", "rin", "naman", "kung", "pwede", "paki", "isang", "dalawang",
    ]

    /// Filipino and everyday words → the trade term providers write.
    static let synonyms: [String: String] = [
        "tubero": "plumb", "tubo": "plumb", "gripo": "plumb", "tulo": "leak", "tumutulo": "leak", "barado": "clog", "inidoro": "toilet",
        "linis": "clean", "malinis": "clean", "paglinis": "clean", "cleaning": "clean", "cleaner": "clean", "lilinisin": "clean",
        "aircon": "aircon", "ac": "aircon", "aircondition": "aircon", "airconditioner": "aircon", "airconditioning": "aircon", "aerkon": "aircon",
        "kuryente": "electric", "elektrisyan": "electric", "electrician": "electric", "electrical": "electric", "wiring": "wire",
        "karpintero": "carpent", "karpintiro": "carpent", "carpenter": "carpent", "carpentry": "carpent", "kahoy": "wood",
        "pintor": "paint", "pintura": "paint", "pinta": "paint", "painter": "paint", "painting": "paint",
        "turo": "tutor", "magturo": "tutor", "guro": "tutor", "tutoring": "tutor", "teacher": "tutor", "aralin": "tutor",
        "lipat": "move", "hakot": "move", "lumipat": "move", "movers": "move", "moving": "move", "mover": "move",
        "labada": "laundry", "laba": "laundry", "labandera": "laundry", "plantsa": "iron",
        "hardin": "garden", "halaman": "garden", "gardener": "garden", "damo": "lawn",
        "ayos": "repair", "ayusin": "repair", "sira": "repair", "sirang": "repair", "fix": "repair", "fixing": "repair", "repairs": "repair",
        "bahay": "house", "kusina": "kitchen", "banyo": "bathroom", "cr": "bathroom", "bubong": "roof", "kisame": "ceiling",
        "ref": "refrigerator", "pridyider": "refrigerator", "fridge": "refrigerator", "labahan": "washing", "washer": "washing",
        "website": "web", "websites": "web", "webdev": "web", "developer": "develop", "programmer": "develop", "app": "app",
        "masahe": "massage", "hilot": "massage", "gupit": "haircut", "barbero": "haircut", "kuko": "nail",
        "peste": "pest", "anay": "termite", "ipis": "pest", "daga": "pest", "welding": "weld", "hinang": "weld",
        "tile": "tile", "tiles": "tile", "baldosa": "tile", "semento": "cement", "mason": "mason", "kantero": "mason",
    ]
}
