@testable import DemoBackend
import Foundation
import Testing

@Suite("counts knob: computed vs maintained")
struct CountsKnobTests {
    /// Counter values that disagree with a count of the rows (0 when every counter is exact).
    static func wrongCounters(_ path: String) throws -> Int64 {
        let db = try SQLiteConnection(path: path, readOnly: true)
        defer { db.close() }
        let checks = [
            "SELECT count(*) FROM tags t WHERE article_count != (SELECT count(*) FROM article_tags WHERE tag_id = t.id)",
            "SELECT count(*) FROM users u WHERE article_count != (SELECT count(*) FROM articles WHERE author_id = u.id)",
            "SELECT count(*) FROM users u WHERE favorite_count != (SELECT count(*) FROM favorites WHERE user_id = u.id)",
            "SELECT count(*) FROM articles a WHERE favorites_count != (SELECT count(*) FROM favorites WHERE article_id = a.id)",
            "SELECT count(*) FROM counters WHERE name = 'articles' AND value != (SELECT count(*) FROM articles)",
            "SELECT 1 - count(*) FROM counters WHERE name = 'articles'",
        ]
        return try checks.reduce(0) { sum, sql in sum + (try db.prepare(sql).firstRow { $0.int(0) } ?? 0) }
    }

    @Test func maintainedCountersFollowEveryWrite() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let path = api.backend.database.path
        #expect(try Self.wrongCounters(path) == 0)
        let reader = try api.register("zz-c-reader")
        let writer = try api.register("zz-c-writer")
        let slug = try api.createArticle(token: writer, title: "Count me", tags: ["zz-x", "zz-y"])
        let other = try api.createArticle(token: writer, title: "Count me too", tags: ["zz-x"])
        #expect(try api.request("POST", "/api/articles/\(slug)/favorite", token: reader).status == 200)
        #expect(try api.request("POST", "/api/articles/\(slug)/favorite", token: reader).status == 200)  // again: no-op
        #expect(try api.request("POST", "/api/articles/\(slug)/favorite", token: writer).status == 200)
        #expect(try api.request("POST", "/api/articles/\(other)/favorite", token: reader).status == 200)
        #expect(try api.request("DELETE", "/api/articles/\(slug)/favorite", token: writer).status == 200)
        #expect(try Self.wrongCounters(path) == 0)
        #expect(try api.request("PUT", "/api/articles/\(slug)", body: #"{"article":{"tagList":["zz-y","zz-z"]}}"#,
                                token: writer).status == 200)
        #expect(try Self.wrongCounters(path) == 0)
        // Delete cascades to tags and favorites: the triggers of the cascaded rows keep the counters right.
        #expect(try api.request("DELETE", "/api/articles/\(other)", token: writer).status == 204)
        #expect(try Self.wrongCounters(path) == 0)

        let tag = try api.request("GET", "/api/articles?tag=zz-x")
        #expect(tag.json?["articlesCount"]?.intValue == 0)
        let favorited = try api.request("GET", "/api/articles?favorited=zz-c-reader")
        #expect(favorited.json?["articlesCount"]?.intValue == 1)
        let authored = try api.request("GET", "/api/articles?author=zz-c-writer")
        #expect(authored.json?["articlesCount"]?.intValue == 1)
    }

    @Test func bothSettingsGiveTheSameResponses() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let reader = try api.register("zz-k-reader")
        let writer = try api.register("zz-k-writer")
        let slug = try api.createArticle(token: writer, title: "Compare counts", tags: ["zz-b", "zz-a"])
        _ = try api.createArticle(token: writer, title: "Compare counts again", tags: ["zz-a"])
        _ = try api.request("POST", "/api/articles/\(slug)/favorite", token: reader)
        _ = try api.request("POST", "/api/profiles/zz-k-writer/follow", token: reader)
        let firstTag = try api.request("GET", "/api/tags").json?["tags"]?[0]?.stringValue ?? ""
        let requests: [(String, String?)] = [
            ("/api/tags", nil), ("/api/articles", nil), ("/api/articles?limit=7&offset=3", nil),
            ("/api/articles?tag=\(firstTag)", nil), ("/api/articles?tag=\(firstTag)&offset=5&limit=3", reader),
            ("/api/articles?tag=zz-a", reader), ("/api/articles?author=zz-k-writer", nil),
            ("/api/articles?favorited=zz-k-reader", reader), ("/api/articles/feed", reader),
            ("/api/articles?tag=zz-a&author=zz-k-writer", nil), ("/api/articles/\(slug)", nil),
        ]
        func responses() throws -> [String] {
            try requests.map { target, token in
                let r = try api.request("GET", target, token: token)
                #expect(r.status == 200, "\(target)")
                return r.text
            }
        }
        #expect(api.knobs["counts"]?.value == "maintained")
        let maintained = try responses()
        try api.knobs.set(["counts": "computed"], source: "test")
        let computed = try responses()
        try api.knobs.set(["query": "n+1"], source: "test")
        let computedNPlusOne = try responses()
        try api.knobs.set(["counts": "maintained"], source: "test")
        let maintainedNPlusOne = try responses()
        for (i, target) in requests.enumerated() {
            #expect(maintained[i] == computed[i], "\(target.0)")
            #expect(maintained[i] == computedNPlusOne[i], "\(target.0)")
            #expect(maintained[i] == maintainedNPlusOne[i], "\(target.0)")
        }
    }

    @Test func createdAtNeverGoesBelowTheNewestArticle() throws {
        let directory = try StorageTempDirectory()
        defer { directory.remove() }
        let path = directory.file("db.sqlite")
        _ = try seedStorageTestDatabase(at: path)
        let provider = ConnectionProvider(databasePath: path, mode: .pool(size: 1))
        defer { provider.closeIdleConnections() }
        // A clock far behind the seeded data (2024-01-01): the new article still sorts first both ways.
        let store = SQLiteConduitStore(provider: provider, now: { 1_704_067_200_000 })
        var context = cacheTestContext(.createArticle)
        let created = try store.createArticle(NewArticle(title: "Late clock", description: "d", body: "b", tagList: []),
                                              authorID: 1, &context)
        #expect(created.createdAt >= Seeder.endMilliseconds - Seeder.spanMilliseconds)
        let page = try store.articles(ArticleQuery(limit: 1), viewerID: nil, &context)
        #expect(page.articles.first?.slug == created.slug)
    }
}

@Suite("Storage: query plans of the optimized reads")
final class StoragePlanTests {
    let directory: StorageTempDirectory
    let connection: SQLiteConnection

    init() throws {
        directory = try StorageTempDirectory()
        let path = directory.file("db.sqlite")
        _ = try seedStorageTestDatabase(at: path, scale: 0.01)
        connection = try SQLiteConnection(path: path)
    }

    deinit {
        connection.close()
        directory.remove()
    }

    func plan(_ sql: String) throws -> String {
        try connection.explainQueryPlan(sql).joined(separator: " | ")
    }

    typealias Store = SQLiteConduitStore

    /// Every single-filter page reads its ids in order from an index: no temporary b-tree sorts the matches.
    @Test func pagesReadTheTopNInIndexOrder() throws {
        let expected: [(Store.Filter, String)] = [
            ([], "idx_articles_created"), (.tag, "idx_article_tags_tag"), (.author, "idx_articles_author"),
            (.favorited, "favorites"),
        ]
        for (filter, index) in expected {
            let p = try plan(Store.orderedPageIDsSQL(filter))
            #expect(p.contains(index), "\(filter): \(p)")
            #expect(!p.contains("TEMP B-TREE"), "\(filter): \(p)")
            // The full page statement sorts only the ≤ limit rows of the page (the outer ORDER BY), never the matches.
            let full = try plan(Store.pageSQL[Store.CountsMode.maintained.rawValue][filter.rawValue])
            #expect(full.components(separatedBy: "TEMP B-TREE").count <= 2, "\(filter): \(full)")
        }
    }

    /// Maintained counts read one row each; computed ones scan the matches.
    @Test func maintainedCountsReadOneRow() throws {
        let maintained = Store.countSQL[Store.CountsMode.maintained.rawValue]
        for filter in [Store.Filter.tag, .author, .favorited] {
            let p = try plan(maintained[filter.rawValue]).replacingOccurrences(of: "SCAN CONSTANT ROW", with: "")
            #expect(p.contains("SEARCH") && !p.contains("SCAN"), "\(filter): \(p)")
        }
        #expect(try plan(maintained[0]).contains("SEARCH counters"))
        let feed = try plan(maintained[Store.Filter.feed.rawValue])
        #expect(feed.contains("SEARCH f") && feed.contains("SEARCH u"), "\(feed)")
        #expect(!feed.contains("articles"))
        let computedTag = try plan(Store.countSQL[Store.CountsMode.computed.rawValue][Store.Filter.tag.rawValue])
        #expect(computedTag.contains("article_tags"))
    }

    /// A page's tags: the ids' JSON array drives one primary-key search per article; no temporary b-tree (neither
    /// for an `IN` list nor for sorting).
    @Test func tagsOfAPageSearchThePrimaryKeyPerID() throws {
        let p = try plan(Store.tagsOfArticlesSQL)
        #expect(p.contains("SCAN j") && p.contains("SEARCH at USING PRIMARY KEY (article_id=?)"), "\(p)")
        #expect(!p.contains("TEMP B-TREE") && !p.contains("LIST SUBQUERY"), "\(p)")
    }

    @Test func tagListReadsThePopularityIndexInOrder() throws {
        let maintained = try plan(Store.tagsSQL[Store.CountsMode.maintained.rawValue])
        #expect(maintained.contains("idx_tags_popularity") && !maintained.contains("TEMP B-TREE"), "\(maintained)")
        let computed = try plan(Store.tagsSQL[Store.CountsMode.computed.rawValue])
        #expect(computed.contains("article_tags") && computed.contains("TEMP B-TREE"), "\(computed)")
    }
}

@Suite("Storage: schema 1 → 2 migration")
struct StorageMigrationTests {
    /// Turns a fresh (schema 2) database back into what schema 1 looked like.
    static func downgradeToVersion1(_ path: String) throws {
        let db = try SQLiteConnection(path: path)
        defer { db.close() }
        try db.transaction {
            for name in try db.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger'").rows({ $0.text(0) }) {
                try db.execute("DROP TRIGGER \(name)")
            }
            try db.execute("DROP INDEX IF EXISTS idx_tags_popularity")
            for column in MaintainedCounts.columns {
                let name = column.definition.prefix { $0 != " " }
                try db.execute("ALTER TABLE \(column.table) DROP COLUMN \(name)")
            }
            try db.execute("DROP TABLE counters; UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        }
    }

    @Test func aVersion1DatabaseIsMigratedInPlaceWhenOpened() throws {
        let directory = try StorageTempDirectory()
        defer { directory.remove() }
        let data = DataDirectory(path: directory.path)
        let first = try data.openOrSeed(seed: 42, scale: 0.01, hashPassword: { _ in "h" })
        try Self.downgradeToVersion1(first.path)

        var phases: [String] = []
        let reopened = try data.openOrSeed(seed: 42, scale: 0.01, hashPassword: { _ in "h" }) { phases.append($0.phase) }
        #expect(!reopened.seededNow)
        #expect(phases == ["migrate", "migrate"])
        #expect(reopened.counts == first.counts)
        #expect(try CountsKnobTests.wrongCounters(reopened.path) == 0)
        let db = try SQLiteConnection(path: reopened.path, readOnly: true)
        defer { db.close() }
        #expect(try db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").firstRow { $0.text(0) } == "2")
        #expect(try db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'").firstRow { $0.int(0) }
                == Int64(MaintainedCounts.triggers.count))
        // Opening again changes nothing.
        var again: [String] = []
        _ = try data.openOrSeed(seed: 42, scale: 0.01, hashPassword: { _ in "h" }) { again.append($0.phase) }
        #expect(again.isEmpty)
    }
}
