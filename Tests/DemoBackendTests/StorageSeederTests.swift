import Foundation
import Testing
@testable import DemoBackend

@Suite("Storage: seeding")
final class StorageSeederTests {
    let directory: StorageTempDirectory

    init() throws { directory = try StorageTempDirectory() }
    deinit { directory.remove() }

    @Test func sameSeedAndScaleGiveIdenticalTables() throws {
        try seedStorageTestDatabase(at: directory.file("a.sqlite"), seed: 42)
        try seedStorageTestDatabase(at: directory.file("b.sqlite"), seed: 42)
        let a = try storageTableHashes(path: directory.file("a.sqlite"))
        let b = try storageTableHashes(path: directory.file("b.sqlite"))
        #expect(a.count == 8)
        #expect(a == b)
    }

    @Test func differentSeedGivesDifferentData() throws {
        try seedStorageTestDatabase(at: directory.file("a.sqlite"), seed: 42)
        try seedStorageTestDatabase(at: directory.file("b.sqlite"), seed: 43)
        let a = try storageTableHashes(path: directory.file("a.sqlite"))
        let b = try storageTableHashes(path: directory.file("b.sqlite"))
        for table in ["users", "articles", "article_tags", "favorites", "follows", "comments", "meta"] {
            #expect(a[table] != b[table], "table \(table) should differ")
        }
    }

    @Test func tinyScaleGivesProportionalCounts() throws {
        let counts = try seedStorageTestDatabase(at: directory.file("db.sqlite"), scale: 0.01)
        #expect(counts.users == 20)
        #expect(counts.articles == 1_000)
        #expect(counts.tags == 6)
        #expect(counts.favorites == 3_000)
        #expect(counts.comments == 2_000)
        #expect(counts.follows > 0 && counts.follows <= 300)  // capped: 20 users can only follow so many
        #expect(counts.articleTags >= counts.articles && counts.articleTags <= 6 * counts.articles)

        let connection = try SQLiteConnection(path: directory.file("db.sqlite"), readOnly: true)
        defer { connection.close() }
        #expect(try TableCounts.count(on: connection) == counts)
        // Consistent by construction: no dangling references although foreign keys were off while inserting.
        #expect(try connection.prepare("PRAGMA foreign_key_check").rows { $0.text(0) }.isEmpty)
        #expect(try connection.prepare("SELECT COUNT(*) FROM follows WHERE follower_id = followee_id").firstRow { $0.int(0) } == 0)
        #expect(try connection.prepare("SELECT COUNT(*) FROM users WHERE email = 'user7@example.com'").firstRow { $0.int(0) } == 1)
        #expect(try connection.prepare("SELECT value FROM meta WHERE key = 'scale'").firstRow { $0.text(0) } == "0.01")
        #expect(SecondaryIndexes.present(on: connection))
    }

    @Test func dataLooksRealistic() throws {
        try seedStorageTestDatabase(at: directory.file("db.sqlite"), scale: 0.02)
        let connection = try SQLiteConnection(path: directory.file("db.sqlite"), readOnly: true)
        defer { connection.close() }
        // Tag popularity is Zipf-like: the top tag is on a large share of articles, far more than the last one.
        let perTag = try connection.prepare(
            "SELECT COUNT(*) FROM article_tags GROUP BY tag_id ORDER BY COUNT(*) DESC").rows { $0.int(0) }
        let articles = try connection.prepare("SELECT COUNT(*) FROM articles").firstRow { $0.int(0) } ?? 0
        #expect(perTag.first! * 4 > articles)
        #expect(perTag.first! > 5 * perTag.last!)
        // Slugs are title-derived, unique, and end with the id.
        let slug = try connection.prepare("SELECT slug, title FROM articles WHERE id = 17").firstRow { ($0.text(0), $0.text(1)) }
        #expect(slug?.0.hasSuffix("-17") == true)
        #expect(slug?.0.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" } == true)
        #expect(slug.map { !$0.1.isEmpty } == true)
        // Created times spread over about two years, ids in time order.
        let span = try connection.prepare("SELECT MAX(created_at) - MIN(created_at) FROM articles").firstRow { $0.int(0) } ?? 0
        #expect(span > 700 * 86_400_000)
        let bodyLength = try connection.prepare("SELECT AVG(LENGTH(body)) FROM articles").firstRow { $0.double(0) } ?? 0
        #expect(bodyLength > 400)
        // Comments never predate their article.
        #expect(try connection.prepare("""
            SELECT COUNT(*) FROM comments c JOIN articles a ON a.id = c.article_id WHERE c.created_at < a.created_at
            """).firstRow { $0.int(0) } == 0)
    }

    @Test func reportsProgressForEveryPhase() throws {
        let connection = try SQLiteConnection(path: directory.file("db.sqlite"), create: true)
        defer { connection.close() }
        var phases: [String] = []
        var last: [String: SeedProgress] = [:]
        _ = try Seeder(scale: 0.01).seed(into: connection, passwordHash: "h") { progress in
            if phases.last != progress.phase { phases.append(progress.phase) }
            last[progress.phase] = progress
        }
        #expect(phases == ["users", "tags", "articles", "favorites", "follows", "comments", "indexes", "counts", "analyze"])
        for (phase, progress) in last {
            #expect(progress.done == progress.total, "phase \(phase) should end complete")
        }
    }

    @Test func embeddedWordListsMatchAssets() throws {
        // Tests/DemoBackendTests/<this file> → repository root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        func load(_ name: String) throws -> [String] {
            WordLists.lines(try String(contentsOf: root.appendingPathComponent("Assets/words/\(name).txt"), encoding: .utf8))
        }
        let fromFiles = WordLists(nouns: try load("nouns"), adjectives: try load("adjectives"), verbs: try load("verbs"),
                                  tags: try load("tags"), firstNames: try load("first_names"),
                                  lastNames: try load("last_names"))
        #expect(fromFiles == WordLists.embedded, "run Assets/embed-word-lists.sh after editing Assets/words")
        #expect(Set(fromFiles.tags).count == fromFiles.tags.count)
        #expect(fromFiles.tags.count >= 600)
    }
}
