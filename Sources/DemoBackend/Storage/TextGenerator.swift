/// Builds titles, sentences, bodies and slugs from the word lists, appending into caller-owned buffers (no
/// intermediate arrays), deterministically from the PRNG it is given.
struct TextGenerator {
    let words: WordLists
    private static let determiners = ["The", "A", "Every", "Our", "This", "Each", "One", "Your", "That"]
    private static let lowerDeterminers = ["the", "a", "every", "our", "this", "each", "one", "your", "that"]
    private static let prepositions = ["with", "for", "in", "without", "across", "behind", "under", "around",
                                       "beyond", "inside", "after", "before", "through", "against", "near"]
    private static let connectors = ["and", "but", "so", "while", "because", "although", "until", "unless"]

    // Inflected forms computed once: inflecting per use was a large share of the seeding time.
    private let pluralNouns: [String]
    private let thirdPersonVerbs: [String]
    private let capitalizedAdjectives: [String]

    init(words: WordLists) {
        self.words = words
        pluralNouns = words.nouns.map { Self.suffixed($0) }
        thirdPersonVerbs = words.verbs.map { Self.suffixed($0) }
        capitalizedAdjectives = words.adjectives.map { Self.capitalized($0) }
    }

    /// Index of a uniformly chosen word (the same draw feeds the plain and the inflected list).
    @inline(__always)
    private func index(_ list: [String], _ random: inout SeedRandom) -> Int { random.uniform(list.count) }

    /// A title such as "How to cache brittle queries with kubernetes". Mentions `tag` in some templates.
    func title(into out: inout String, tag: String, random: inout SeedRandom) {
        let a = index(words.adjectives, &random)
        let n = index(words.nouns, &random)
        let verb = random.pick(words.verbs)
        switch random.uniform(10) {
        case 0:
            out += "How to "; out += verb; out += " "; out += words.adjectives[a]; out += " "; out += pluralNouns[n]
            out += " with "; out += tag
        case 1:
            out += capitalizedAdjectives[a]; out += " "; out += pluralNouns[n]; out += ": a "
            out += random.pick(words.adjectives); out += " guide"
        case 2:
            out += "Why "; out += pluralNouns[n]; out += " "; out += verb; out += " "
            out += random.pick(words.adjectives); out += " "; out += random.pick(pluralNouns)
        case 3:
            out += String(3 + random.uniform(15)); out += " ways to "; out += verb; out += " your "; out += words.nouns[n]
        case 4:
            out += "Understanding "; out += words.adjectives[a]; out += " "; out += pluralNouns[n]; out += " in "
            out += tag
        case 5:
            out += "The "; out += words.adjectives[a]; out += " "; out += words.nouns[n]; out += " "
            out += random.pick(words.nouns)
        case 6:
            out += "What I learned when I tried to "; out += verb; out += " a "; out += words.nouns[n]
        case 7:
            out += Self.capitalized(tag); out += ": "; out += verb; out += " the "; out += words.adjectives[a]
            out += " "; out += words.nouns[n]
        case 8:
            out += "Stop trying to "; out += verb; out += " "; out += pluralNouns[n]
        default:
            out += "A "; out += words.adjectives[a]; out += " look at "; out += tag; out += " "; out += pluralNouns[n]
        }
    }

    /// One sentence ending in a period, e.g. "Every lean cache throttles the stale query across a cluster."
    func sentence(into out: inout String, random: inout SeedRandom) {
        out += random.pick(Self.determiners); out += " "
        if random.chance(0.6) { out += random.pick(words.adjectives); out += " " }
        out += random.pick(words.nouns); out += " "
        out += random.pick(thirdPersonVerbs); out += " "
        out += random.pick(Self.lowerDeterminers); out += " "
        if random.chance(0.4) { out += random.pick(words.adjectives); out += " " }
        out += random.pick(words.nouns)
        if random.chance(0.6) {
            out += " "; out += random.pick(Self.prepositions); out += " "; out += random.pick(Self.lowerDeterminers)
            out += " "; out += random.pick(words.nouns)
        }
        if random.chance(0.3) {
            out += " "; out += random.pick(Self.connectors); out += " "; out += random.pick(Self.lowerDeterminers)
            out += " "; out += random.pick(words.nouns); out += " "; out += random.pick(thirdPersonVerbs)
        }
        out += "."
    }

    /// A Markdown body: 2–5 paragraphs of 3–6 sentences, sometimes a heading or a list (about 1.3 KB on average).
    func body(into out: inout String, random: inout SeedRandom) {
        let paragraphs = 2 + random.uniform(4)
        for paragraph in 0..<paragraphs {
            if paragraph > 0 { out += "\n\n" }
            if paragraph > 0 && random.chance(0.25) {
                out += "## "; out += random.pick(capitalizedAdjectives); out += " "
                out += random.pick(pluralNouns); out += "\n\n"
            }
            if random.chance(0.1) {
                for item in 0..<(2 + random.uniform(3)) {
                    if item > 0 { out += "\n" }
                    out += "- "; out += random.pick(words.verbs); out += " the "; out += random.pick(words.nouns)
                }
                continue
            }
            for sentence in 0..<(3 + random.uniform(4)) {
                if sentence > 0 { out += " " }
                self.sentence(into: &out, random: &random)
            }
        }
    }

    /// "How to cache brittle queries" + id 12 → "how-to-cache-brittle-queries-12" (lowercase ASCII letters and
    /// digits, single dashes, at most 60 characters before the id suffix, which makes it unique).
    static func slug(of title: String, id: Int, into out: inout String) {
        var length = 0
        var pendingDash = false
        for byte in title.utf8 {
            let lower: UInt8
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): lower = byte
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): lower = byte + 32
            default:
                pendingDash = length > 0
                continue
            }
            if length >= 60 { break }
            if pendingDash {
                out.unicodeScalars.append("-")
                length += 1
                pendingDash = false
            }
            out.unicodeScalars.append(Unicode.Scalar(lower))
            length += 1
        }
        if length > 0 { out += "-" }
        out += String(id)
    }

    private static func capitalized(_ word: String) -> String {
        guard let first = word.first else { return word }
        return first.uppercased() + word.dropFirst()
    }

    /// Naive English plural / third person singular: "cache" → "caches", "copy" → "copies", "box" → "boxes".
    private static func suffixed(_ word: String) -> String {
        let scalars = word.unicodeScalars
        guard let last = scalars.last else { return word }
        let beforeLast = scalars.dropLast().last
        if last == "y", let beforeLast, !"aeiou".unicodeScalars.contains(beforeLast) {
            return String(String.UnicodeScalarView(scalars.dropLast())) + "ies"
        }
        if last == "s" || last == "x" || last == "z" || (last == "h" && (beforeLast == "s" || beforeLast == "c")) {
            return word + "es"
        }
        return word + "s"
    }
}
