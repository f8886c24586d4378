import Foundation

/// Sentiment for English, Filipino and Taglish, as reviews in Manila are
/// written: a lexicon of words and phrases with valences (−4…+4), Filipino
/// affixes read to their root ("napakabilis" → "bilis"), negation that
/// reaches three words or to the next break ("hindi maayos", "not bad"),
/// intensifiers ("sobrang", "napaka-", "super", "ang …!") and softeners
/// ("medyo"). The sum is squashed to −1…1 (VADER's x / √(x² + 15)). Pure.
public enum SentimentModel {
    public enum Label: String, Sendable, Codable { case positive, negative, neutral }

    public struct Result: Sendable, Equatable {
        public var label: Label
        /// −1 … 1.
        public var score: Double
        /// The words and phrases that counted, with their signed weight.
        public var evidence: [(String, Double)]

        public static func == (a: Result, b: Result) -> Bool { a.label == b.label && a.score == b.score }
    }

    public static let threshold = 0.2

    public static func analyze(_ text: String) -> Result {
        let tokens = TextTokens.tokensWithBreaks(text)
        var total = 0.0
        var evidence: [(String, Double)] = []
        var negateLeft = 0
        var boost = 1.0
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            if token.count == 1, ".!?,;".contains(token) {
                negateLeft = 0
                boost = 1.0
                i += 1
                continue
            }
            // Phrases first (longest match), then single words.
            var matched: (String, Double, Int)?
            for length in stride(from: 3, through: 2, by: -1) where i + length <= tokens.count {
                let phrase = tokens[i..<i + length].joined(separator: " ")
                if let v = Lexicon.phrases[phrase] { matched = (phrase, v, length); break }
            }
            if matched == nil, let v = Lexicon.valence(of: token) { matched = (token, v, 1) }
            if let (words, base, length) = matched {
                var v = base * boost * Lexicon.affixBoost(token)
                if negateLeft > 0 && !Lexicon.negationProof.contains(words) {
                    // "not bad" is mildly good; "hindi maganda" is bad.
                    v = v < 0 ? -v * 0.5 : -v * 0.75
                }
                total += v
                evidence.append((words, v))
                boost = 1.0
                negateLeft = 0
                i += length
                continue
            }
            if Lexicon.negators.contains(token) {
                negateLeft = 3
            } else if let m = Lexicon.intensifiers[token] {
                boost = m
            } else if negateLeft > 0 {
                negateLeft -= 1
            }
            i += 1
        }
        if text.contains("!") { total *= 1.1 }
        let score = total / (total * total + 15).squareRoot()
        let label: Label = score >= threshold ? .positive : score <= -threshold ? .negative : .neutral
        return Result(label: label, score: (score * 1000).rounded() / 1000, evidence: evidence)
    }
}

/// The words. Pure data.
enum Lexicon {
    static let negators: Set<String> = [
        "not", "no", "never", "dont", "didnt", "doesnt", "isnt", "wasnt", "wont", "cant", "couldnt", "wouldnt", "arent", "werent", "nothing",
        "hindi", "di", "hnd", "hndi", "wala", "walang", "huwag", "wag", "ayaw", "nobody", "without",
    ]
    /// Phrases whose meaning already includes their negation.
    static let negationProof: Set<String> = [
        "walang kwenta", "no show", "hindi dumating", "hindi sumipot", "di sumipot", "never again", "no complaints", "walang reklamo",
        "walang kalat", "no need", "hindi na uulit", "walang hidden", "walang nasira", "walang sorry", "walang respeto", "hindi tumupad",
        "not worth", "hindi worth", "not fair", "hindi patas", "walang update", "walang dumating", "walang sumagot", "walang nag",
    ]
    static let intensifiers: [String: Double] = [
        "very": 1.3, "really": 1.3, "so": 1.2, "super": 1.5, "extremely": 1.6, "totally": 1.3, "absolutely": 1.4, "truly": 1.3,
        "sobrang": 1.5, "sobra": 1.4, "grabe": 1.4, "talaga": 1.2, "napaka": 1.5, "ang": 1.3, "ubod": 1.5, "lubos": 1.4, "sooo": 1.4,
        "medyo": 0.6, "kinda": 0.7, "slightly": 0.6, "somewhat": 0.7, "konti": 0.7, "bit": 0.7,
    ]

    static let words: [String: Double] = [
        // English, good
        "good": 2, "great": 3, "excellent": 3.5, "amazing": 3.5, "awesome": 3.5, "fantastic": 3.5, "superb": 3.5, "wonderful": 3.5,
        "perfect": 3.5, "perfectly": 3, "best": 3, "love": 3, "loved": 3, "fast": 1.5, "quick": 1.5, "quickly": 1.5, "prompt": 1.5,
        "clean": 1.5, "neat": 1.5, "tidy": 1.5, "professional": 2, "friendly": 2, "polite": 2, "kind": 2, "respectful": 2,
        "recommend": 2.5, "recommended": 2.5, "satisfied": 2, "happy": 2, "happier": 2, "thank": 1.5, "thanks": 1.5, "reliable": 2,
        "efficient": 2, "honest": 2, "punctual": 2, "thorough": 2, "careful": 1.5, "trustworthy": 2.5, "impressive": 2.5,
        "smooth": 1.5, "quality": 1.5, "fair": 1, "reasonable": 1.5, "knowledgeable": 2, "skilled": 2, "hardworking": 2,
        "patient": 2, "patience": 2, "accommodating": 2, "solid": 2, "legit": 2, "safe": 1.5, "protected": 1.5, "organized": 1.5,
        "worth": 2, "helpful": 2, "nice": 2, "done": 0.5, "well": 1, "improved": 1.5, "works": 1, "fixed": 1.5, "solved": 1.5,
        "new": 0.5, "pulido": 2.5, "thoroughly": 2, "clearly": 1,
        // English, bad
        "bad": -2.5, "terrible": -3.5, "awful": -3.5, "worst": -3.5, "horrible": -3.5, "poor": -2, "slow": -1.5, "late": -1.5,
        "rude": -3, "dirty": -2, "broke": -2, "broken": -2, "scam": -4, "scammer": -4, "fraud": -4, "overpriced": -2.5,
        "unprofessional": -2.5, "disappointed": -2.5, "disappointing": -2.5, "waste": -2.5, "careless": -2.5, "damaged": -2.5,
        "mess": -2, "messy": -2, "sloppy": -2.5, "lazy": -2.5, "incompetent": -3, "ghosted": -3, "unreliable": -2.5, "noisy": -1.5,
        "unfinished": -2, "rushed": -1.5, "refused": -2, "shouted": -2.5, "scratched": -2, "peeling": -1.5, "clogged": -1.5,
        "disappeared": -2.5, "cancelling": -1.5, "rescheduled": -1, "delayed": -1.5, "hassle": -2, "leaking": -1.5, "flooded": -2.5,
        "idiot": -3.5, "stupid": -3, "useless": -3, "complaint": -1.5, "worse": -2.5, "unfair": -2, "charged": -0.5, "extra": -0.3,
        "expensive": -1.5, "liar": -3.5, "sorry": -0.5, "away": -0.5,
        // Filipino, good
        "galing": 3, "magaling": 3, "husay": 3, "mahusay": 3, "linis": 2, "malinis": 2, "ayos": 2, "maayos": 2, "sulit": 2.5,
        "ganda": 2.5, "maganda": 2.5, "bait": 2.5, "mabait": 2.5, "salamat": 1.5, "maasahan": 2.5, "tapat": 2, "masaya": 2,
        "bilib": 2.5, "astig": 2.5, "panalo": 3, "swabe": 2, "masipag": 2, "magalang": 2, "maagap": 2, "maingat": 2, "bilis": 1.5,
        "mabilis": 1.5, "natuto": 1.5, "naayos": 2, "inirerekomenda": 2.5, "panatag": 1.5, "perpekto": 3.5, "pasensya": 1.5,
        "lumamig": 1.5, "tumigil": 0.5, "okay": 1, "ok": 1, "bago": 0.5, "babalik": 1.5, "babalikan": 1.5, "buti": 1.5,
        // Filipino, bad
        "bagal": -2, "mabagal": -2, "pangit": -2.5, "panget": -2.5, "masama": -2.5, "sayang": -2.5, "bastos": -3, "tamad": -2.5,
        "dumi": -2, "madumi": -2, "marumi": -2, "sira": -2, "nasira": -2.5, "manloloko": -3.5, "loko": -3, "palpak": -3,
        "nakakainis": -2.5, "inis": -2, "galit": -2, "dismayado": -2.5, "pinaghintay": -2, "mayabang": -2.5, "kalat": -2,
        "sungit": -2.5, "masungit": -2.5, "pinaasa": -2.5, "nasayang": -2.5, "nagmadali": -1.5, "lumala": -2.5, "nabasag": -2.5,
        "tumutulo": -1.5, "mantsa": -1.5, "mahal": -1.5, "tanga": -3.5, "bobo": -3.5, "gago": -3.5, "putangina": -3.5, "nagkamali": -1.5,
        "pinabalik": -1.5, "kulang": -1.5, "bitin": -1.5, "tinaasan": -2, "dinoble": -2, "kaltas": -1,
        "irerecommend": 2.5, "irerekomenda": 2.5, "uulit": 1, "uulitin": 1, "marunong": 1.5, "reklamo": -1.5, "sumipot": 1,
        "dumating": 0.5,
    ]

    static let phrases: [String: Double] = [
        "walang kwenta": -3, "no show": -3, "hindi dumating": -3, "hindi sumipot": -3, "di sumipot": -3, "never again": -3,
        "no complaints": 2.5, "walang reklamo": 2.5, "walang kalat": 1.5, "on time": 1.5, "the best": 3, "worth it": 2.5,
        "worth every": 3, "highly recommend": 3, "highly recommended": 3, "rip off": -3, "ang tagal": -2, "ang bagal": -2,
        "hindi na uulit": -2.5, "sayang pera": -3, "sayang ang": -2.5, "waste of": -3, "not worth": -2.5, "hindi worth": -2.5,
        "not fair": -2, "hindi patas": -2, "walang update": -2, "walang dumating": -3, "walang sumagot": -2, "walang nag": -2,
        "walang hidden": 1.5, "walang nasira": 2, "walang sorry": -1.5, "walang respeto": -3, "hindi tumupad": -2.5,
        "couldnt be happier": 3, "could not be happier": 3, "never showed": -3, "never came": -3, "no one came": -3,
        "no need": 1, "well done": 2.5, "job well": 2.5, "brand new": 2, "thank you": 2, "for sure": 1, "ok na ok": 3,
        "okay na okay": 3, "ayos na ayos": 3, "sulit na sulit": 3, "no one": -1.5, "extra effort": 2,
    ]

    /// The valence of a word, reading Filipino affixes to a known root.
    static func valence(of word: String) -> Double? {
        if let v = words[word] { return v == 0 ? nil : v }
        for prefix in ["napaka", "pinaka", "naka", "ka", "pag", "mag", "nag", "na", "ma"] where word.hasPrefix(prefix) && word.count > prefix.count + 2 {
            if let v = words[String(word.dropFirst(prefix.count))], v != 0 { return v }
        }
        return nil
    }

    /// "napaka-" and "pinaka-" make what follows stronger.
    static func affixBoost(_ word: String) -> Double {
        word.hasPrefix("napaka") || word.hasPrefix("pinaka") ? 1.5 : 1
    }
}
