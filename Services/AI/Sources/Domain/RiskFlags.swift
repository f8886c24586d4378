import Foundation

/// What in a review or chat message puts people at risk: asking to pay
/// outside the platform (no escrow, no refund), phone numbers or emails
/// shared (the first step off the platform), insults, and known scam
/// patterns (OTPs, reservation fees, prize links). Pure.
public enum RiskFlags {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case offPlatformPayment, contactShared, insult, scam
    }

    public enum Level: String, Sendable, Codable, Comparable {
        case none, low, medium, high
        static let order: [Level] = [.none, .low, .medium, .high]
        public static func < (a: Level, b: Level) -> Bool { order.firstIndex(of: a)! < order.firstIndex(of: b)! }
    }

    public struct Flag: Sendable, Equatable, Codable {
        public var kind: Kind
        /// The words that raised it.
        public var evidence: String
    }

    public struct Report: Sendable, Equatable {
        public var flags: [Flag]
        public var level: Level
    }

    public static func analyze(_ text: String) -> Report {
        var flags: [Flag] = []
        let words = TextTokens.words(text)
        let joined = " " + words.joined(separator: " ") + " "

        // Paying or dealing outside the platform.
        let payWords: Set<String> = ["gcash", "maya", "paymaya", "palawan", "cebuana", "mlhuillier", "bdo", "bpi", "metrobank", "unionbank",
                                     "landbank", "cash", "transfer", "deposit", "padala", "ihulog", "bayad", "bayaran", "pay", "payment",
                                     "money", "send", "ipadala"]
        let outside = [
            " outside the app ", " outside the platform ", " off the app ", " sa labas ", " labas ng app ", " huwag na sa app ",
            " wag na sa app ", " huwag na dumaan ", " wag na dumaan ", " wag na tayo dumaan ", " skip the app ", " skip natin ", " directly ",
            " direct ", " diretso ", " direkta ", " mo na lang ", " na lang tayo ", " na lang po ", " instead ", " no commission ",
            " walang patong ", " walang kaltas ", " walang fee ", " para walang ", " without the app ", " platform does not take ",
            " so we skip ", " cancel the booking ", " cancel mo na lang ", " cancel na lang ", " i cancel ", " direct booking ",
            " off the platform ", " not charge the platform ", " wala nang bayad sa platform ", " wala nang platform fee ",
            " cash basis ", " cash on the day ", " cash na lang ", " cash ka magbabayad ", " if you pay in cash ", " kung cash ",
            " para sa payment ", " para sa bayad ", " arrange payment ", " para sa direct payment ", " book me off ", " bayaran mo ako ",
            " ko ang bayad ", " sa akin ang bayad ", " sa akin directly ", " to my ", " sa gcash ko ", " gcash ko ", " account ko ",
        ]
        let onApp = [" sa app ", " through the app ", " thru the app ", " via the app ", " in the app ", " sa checkout ", " through trusttrade ",
                     " sa app na ", " sa app kayo ", " the app already ", " through the app na "]
        // Leaving the app is the point of these, whatever the money words.
        let leaving = [" outside the app ", " off the app ", " outside the platform ", " off the platform ", " labas ng app ",
                       " direct booking ", " dumaan sa app ", " dumaan sa trusttrade ", " deal outside ", " book me directly ",
                       " mag book ka na lang sa akin ", " sa akin ka na lang mag book "]
        let mentionsPay = words.contains { payWords.contains($0) || feeWords.contains($0) }
            || leaving.contains { joined.contains($0) && (!$0.contains("dumaan") || joined.contains(" wag ") || joined.contains(" huwag ")) }
        if mentionsPay, let cue = (outside + leaving).first(where: { joined.contains($0) }) {
            // "sa app na po ako magbabayad" stays on the platform; a cue that says otherwise wins.
            let staysOnApp = onApp.contains { joined.contains($0) } && !joined.contains(" huwag na sa app ") && !joined.contains(" wag na ")
                && !joined.contains(" outside ") && !joined.contains(" labas ")
            if !staysOnApp { flags.append(Flag(kind: .offPlatformPayment, evidence: cue.trimmingCharacters(in: .whitespaces))) }
        }

        // Contact details.
        if let phone = firstMatch(#"(\+?63|0)\s?9\d{2}[\s-]?\d{3}[\s-]?\d{4}"#, in: text) {
            flags.append(Flag(kind: .contactShared, evidence: phone))
        }
        if let email = firstMatch(#"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"#, in: text) {
            flags.append(Flag(kind: .contactShared, evidence: email))
        }
        if let app = ["viber", "whatsapp", "telegram", "messenger", "wechat"].first(where: { words.contains($0) }) {
            flags.append(Flag(kind: .contactShared, evidence: app))
        }

        // Insults, including l33t spellings ("t@nga", "b0b0").
        let plain = TextTokens.words(text.map { leet[$0] ?? String($0) }.joined())
        if let insult = plain.first(where: { insults.contains($0) }) ?? insultPhrases.first(where: { (" " + plain.joined(separator: " ") + " ").contains(" \($0) ") }) {
            flags.append(Flag(kind: .insult, evidence: insult))
        }

        // Scams.
        let scamCues = [" otp ", " one time pin ", " verification code ", " pin code ", " reservation fee ", " processing fee ",
                        " claim your ", " you won ", " nanalo ka ", " double your money ", " bit ly ", " tinyurl ", " click this link ",
                        " click the link ", " advance payment ", " load muna ", " pasaload "]
        if let cue = scamCues.first(where: { joined.contains($0) }) {
            flags.append(Flag(kind: .scam, evidence: cue.trimmingCharacters(in: .whitespaces)))
        }

        let kinds = Set(flags.map(\.kind))
        let level: Level = kinds.contains(.scam) || kinds.contains(.offPlatformPayment) ? .high
            : kinds.contains(.insult) ? .medium : kinds.contains(.contactShared) ? .low : .none
        return Report(flags: flags, level: level)
    }

    static let feeWords: Set<String> = ["fee", "fees", "commission", "kaltas", "patong", "discount", "cut", "bawas"]

    static let insults: Set<String> = [
        "tanga", "bobo", "gago", "ulol", "tarantado", "putangina", "tangina", "pota", "punyeta", "leche", "bwisit", "inutil", "walanghiya",
        "stupid", "idiot", "moron", "dumb", "fuck", "fucking", "shit", "bitch", "asshole", "scumbag", "bastard", "tanginamo", "gaga",
    ]
    static let insultPhrases = ["putang ina", "walang hiya", "tang ina"]
    static let leet: [Character: String] = ["@": "a", "0": "o", "1": "i", "3": "e", "4": "a", "$": "s", "5": "s"]

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(m.range, in: text) else { return nil }
        return String(text[range])
    }
}
