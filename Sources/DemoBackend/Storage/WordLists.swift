import Foundation

/// The vocabulary the seeder builds names, titles and text from (one entry per line in `Assets/words/*.txt`).
public struct WordLists: Sendable, Equatable {
    public var nouns: [String]
    public var adjectives: [String]
    public var verbs: [String]
    /// Tag names, most popular first (the seeder gives tag 1 the largest share of articles).
    public var tags: [String]
    public var firstNames: [String]
    public var lastNames: [String]

    public init(nouns: [String], adjectives: [String], verbs: [String], tags: [String], firstNames: [String],
                lastNames: [String]) {
        self.nouns = nouns
        self.adjectives = adjectives
        self.verbs = verbs
        self.tags = tags
        self.firstNames = firstNames
        self.lastNames = lastNames
    }

    /// Non-empty, trimmed lines of `text`.
    public static func lines(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        }
    }
}
