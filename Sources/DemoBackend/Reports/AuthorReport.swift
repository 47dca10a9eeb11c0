/// The heavy endpoint's work (`POST /api/reports`): statistics over the articles of the authors a user follows —
/// per-author counts and lengths, tag frequencies and tag pairs, word and two-word-phrase frequencies, articles per
/// month, and the most similar article pairs (Jaccard similarity of their vocabularies). Real CPU work, on purpose:
/// the all-pairs similarity alone is quadratic in the articles read, and the result is a large JSON document.
///
/// Deterministic for the same data (ties broken by name or id), so running a job twice stores the same result: the
/// job handler is idempotent, as at-least-once delivery requires.
enum AuthorReport {
    /// Articles read per report: the most recent of the followed authors'. Bounds CPU and memory for users following
    /// prolific authors (at scale 1 a follower of the top authors would otherwise read thousands).
    static let maxArticles = 600
    /// Entries per ranked list.
    static let topCount = 50

    struct SourceArticle: Sendable {
        var id: Int64
        var slug: String
        var title: String
        var body: String
        var author: String
        var createdAt: Int64
        var tags: [String]
    }

    /// Reads the viewer's followed authors' most recent articles (bodies and tags) in one read transaction.
    static func load(viewerID: Int64, connection: SQLiteConnection) throws -> [SourceArticle] {
        try connection.read {
            let articles = try connection.prepare("""
                SELECT a.id, a.slug, a.title, a.body, u.username, a.created_at
                FROM follows f JOIN articles a ON a.author_id = f.followee_id JOIN users u ON u.id = a.author_id
                WHERE f.follower_id = ?1 ORDER BY a.created_at DESC, a.id DESC LIMIT ?2
                """)
            try articles.bind(.int(viewerID), .int(Int64(maxArticles)))
            var loaded = try articles.rows {
                SourceArticle(id: $0.int(0), slug: $0.text(1), title: $0.text(2), body: $0.text(3), author: $0.text(4),
                              createdAt: $0.int(5), tags: [])
            }
            let tags = try connection.prepare("""
                SELECT t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = ?1 ORDER BY t.name
                """)
            for index in loaded.indices {
                try tags.bind(.int(loaded[index].id))
                loaded[index].tags = try tags.rows { $0.text(0) }
            }
            return loaded
        }
    }

    /// Computes the report and writes it as JSON (`{"report":{...}}` body without the envelope: the caller wraps it).
    static func compute(viewerID: Int64, articles: [SourceArticle]) -> [UInt8] {
        var wordCounts: [String: Int] = [:]
        var phraseCounts: [String: Int] = [:]
        var tagCounts: [String: Int] = [:]
        var tagPairs: [String: Int] = [:]
        var months: [String: Int] = [:]
        var authors: [String: (articles: Int, words: Int)] = [:]
        var vocabularies: [Set<String>] = []
        vocabularies.reserveCapacity(articles.count)
        var lengths: [(slug: String, words: Int)] = []

        for article in articles {
            let words = tokens(article.title + " " + article.body)
            var vocabulary = Set<String>()
            var previous: String?
            for word in words {
                if !stopWords.contains(word) {
                    wordCounts[word, default: 0] += 1
                    vocabulary.insert(word)
                }
                if let previous { phraseCounts[previous + " " + word, default: 0] += 1 }
                previous = word
            }
            vocabularies.append(vocabulary)
            lengths.append((article.slug, words.count))
            authors[article.author, default: (0, 0)].articles += 1
            authors[article.author, default: (0, 0)].words += words.count
            for tag in article.tags { tagCounts[tag, default: 0] += 1 }
            for i in article.tags.indices {
                for j in article.tags.indices where j > i {
                    tagPairs[article.tags[i] + " + " + article.tags[j], default: 0] += 1
                }
            }
            let date = JSONWriter.civilFromDays(Int(article.createdAt / 86_400_000))
            months[String(format4(date.year)) + "-" + (date.month < 10 ? "0" : "") + String(date.month), default: 0] += 1
        }

        // All pairs: the quadratic part, and the reason this endpoint costs what it does. Each vocabulary becomes a
        // sorted array of word numbers, so a pair's shared words are counted by one merge walk (no hashing, no set
        // built per pair: with Set.intersection this step alone took seconds for 600 articles).
        let sorted = numberedVocabularies(vocabularies)
        var similar: [(a: Int, b: Int, score: Double)] = []
        for i in sorted.indices {
            for j in sorted.indices where j > i {
                let shared = sharedCount(sorted[i], sorted[j])
                let union = sorted[i].count + sorted[j].count - shared
                guard union > 0 else { continue }
                let score = Double(shared) / Double(union)
                if similar.count < topCount || score > similar[similar.count - 1].score {
                    similar.append((i, j, score))
                    similar.sort { $0.score != $1.score ? $0.score > $1.score : ($0.a, $0.b) < ($1.a, $1.b) }
                    if similar.count > topCount { similar.removeLast() }
                }
            }
        }

        var json = JSONWriter(capacity: 64 * 1024)
        json.beginObject()
        json.key("viewer"); json.int(viewerID)
        json.key("articles"); json.int(articles.count)
        json.key("words"); json.int(lengths.reduce(0) { $0 + $1.words })
        json.key("authors"); json.beginArray()
        for (name, stats) in authors.sorted(by: { $0.value.articles != $1.value.articles ? $0.value.articles > $1.value.articles : $0.key < $1.key }) {
            json.beginObject()
            json.key("username"); json.string(name)
            json.key("articles"); json.int(stats.articles)
            json.key("words"); json.int(stats.words)
            json.key("meanWords"); json.double(Double(stats.words) / Double(max(1, stats.articles)))
            json.endObject()
        }
        json.endArray()
        writeRanked(&json, "tags", tagCounts)
        writeRanked(&json, "tagPairs", tagPairs)
        writeRanked(&json, "words", wordCounts)
        writeRanked(&json, "phrases", phraseCounts)
        json.key("months"); json.beginArray()
        for (month, count) in months.sorted(by: { $0.key < $1.key }) {
            json.beginObject(); json.key("month"); json.string(month); json.key("articles"); json.int(count); json.endObject()
        }
        json.endArray()
        json.key("longest"); json.beginArray()
        for entry in lengths.sorted(by: { $0.words != $1.words ? $0.words > $1.words : $0.slug < $1.slug }).prefix(topCount) {
            json.beginObject(); json.key("slug"); json.string(entry.slug); json.key("words"); json.int(entry.words); json.endObject()
        }
        json.endArray()
        json.key("similar"); json.beginArray()
        for pair in similar {
            json.beginObject()
            json.key("a"); json.string(articles[pair.a].slug)
            json.key("b"); json.string(articles[pair.b].slug)
            json.key("jaccard"); json.double((pair.score * 10_000).rounded() / 10_000)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    /// Each vocabulary as the sorted numbers of its words (numbered in order of first appearance).
    static func numberedVocabularies(_ vocabularies: [Set<String>]) -> [[Int32]] {
        var numbers: [String: Int32] = [:]
        return vocabularies.map { vocabulary in
            var row: [Int32] = []
            row.reserveCapacity(vocabulary.count)
            for word in vocabulary {
                if let number = numbers[word] {
                    row.append(number)
                } else {
                    let number = Int32(numbers.count)
                    numbers[word] = number
                    row.append(number)
                }
            }
            row.sort()
            return row
        }
    }

    /// How many numbers two sorted, duplicate-free arrays have in common.
    static func sharedCount(_ a: [Int32], _ b: [Int32]) -> Int {
        var i = 0, j = 0, shared = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                shared += 1; i += 1; j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return shared
    }

    private static func writeRanked(_ json: inout JSONWriter, _ name: String, _ counts: [String: Int]) {
        json.dynamicKey(name)
        json.beginArray()
        let ranked = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        for (key, count) in ranked.prefix(topCount) {
            json.beginObject(); json.key("name"); json.string(key); json.key("count"); json.int(count); json.endObject()
        }
        json.endArray()
    }

    /// Lower-cased ASCII letter runs.
    static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var current: [UInt8] = []
        for byte in text.utf8 {
            if (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) {
                current.append(byte | 0x20)
            } else if !current.isEmpty {
                out.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { out.append(String(decoding: current, as: UTF8.self)) }
        return out
    }

    private static func format4(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    static let stopWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "for", "with", "at", "by", "from", "is", "are",
        "was", "were", "be", "it", "its", "this", "that", "as", "how", "why", "what", "your", "you", "we", "our",
    ]
}
