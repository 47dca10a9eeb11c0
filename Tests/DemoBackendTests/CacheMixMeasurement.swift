import Foundation
import Testing
@testable import DemoBackend

/// DB statements per request with the cache off and on, for a deterministic replay of the default profile's mix
/// (Profiles/default.json: the same weights and Zipf popularity; logged-in requests by seeded users) straight against
/// the store. Statement counts, not times: the numbers are the same on any machine.
///
/// The CI run uses the tiny test database (scale 0.01); for a larger one:
///
///     DYNO_CACHE_MIX_SCALE=0.1 DYNO_CACHE_MIX_REQUESTS=20000 swift test --filter CacheMixMeasurement
@Suite("Cache: statements per request on the default mix")
struct CacheMixMeasurement {
    enum Kind: String, CaseIterable {
        case articlesByTag = "articles by tag", articlesPage = "articles page", article, comments, profile, tags
        case feed, favorite, comment, follow

        /// Weights of Profiles/default.json.
        var weight: Int {
            switch self {
            case .articlesByTag: 25
            case .articlesPage: 10
            case .article: 20
            case .comments: 15
            case .profile: 8
            case .tags: 5
            case .feed: 8
            case .favorite: 4
            case .comment: 3
            case .follow: 2
            }
        }

        /// The anonymous reads the cache is for.
        var isHotRead: Bool { [.articlesByTag, .articlesPage, .article, .comments, .profile, .tags].contains(self) }
    }

    struct Tally {
        var requests: [Kind: Int] = [:]
        var statements: [Kind: UInt64] = [:]
        /// Pool + DB time and cache time, all requests (printed only: times vary between runs).
        var databaseNanoseconds: UInt64 = 0
        var cacheNanoseconds: UInt64 = 0
        var errors = 0

        func perRequest(_ filter: (Kind) -> Bool) -> Double {
            let kinds = Kind.allCases.filter(filter)
            let n = kinds.reduce(0) { $0 + (requests[$1] ?? 0) }
            let s = kinds.reduce(UInt64(0)) { $0 + (statements[$1] ?? 0) }
            return n == 0 ? 0 : Double(s) / Double(n)
        }
    }

    static let scale = ProcessInfo.processInfo.environment["DYNO_CACHE_MIX_SCALE"].flatMap(Double.init) ?? 0.01
    static let requests = ProcessInfo.processInfo.environment["DYNO_CACHE_MIX_REQUESTS"].flatMap(Int.init) ?? 2_000

    /// Replays `count` requests of the mix on `store` (same sequence for the same seed) and counts statements.
    static func replay(_ db: CacheTestDatabase, count: Int, seed: UInt64 = 7) throws -> Tally {
        // The profile's harvests: tags, and slugs/usernames of the newest 500 articles.
        let tags = try db.call { try db.sqlite.tags(&$0) }
        let newest = try db.call { try db.sqlite.articles(ArticleQuery(limit: 500), viewerID: nil, &$0) }.articles
        let slugs = newest.map(\.slug)
        let usernames = newest.map(\.author.username)
        let users = try db.call { context in (Int64(1)...20).compactMap { try? db.sqlite.user(id: $0, &context) } }
        let tagZipf = ZipfDistribution(count: tags.count, exponent: 1.1)
        let slugZipf = ZipfDistribution(count: slugs.count, exponent: 1.0)
        // The profile's offsets: 0, 20, ..., 980, Zipf 1.2 over that list.
        let offsetZipf = ZipfDistribution(count: 50, exponent: 1.2)
        let totalWeight = Kind.allCases.reduce(0) { $0 + $1.weight }

        var random = SeedRandom(seed: seed)
        var tally = Tally()
        for seq in 0..<count {
            var pick = random.uniform(totalWeight)
            var kind = Kind.articlesByTag
            for k in Kind.allCases {
                if pick < k.weight { kind = k; break }
                pick -= k.weight
            }
            let user = users[random.uniform(users.count)]
            var context = cacheTestContext()
            do {
                switch kind {
                case .articlesByTag:
                    _ = try db.store.articles(ArticleQuery(tag: tags[tagZipf.sample(&random)], limit: 20), viewerID: nil, &context)
                case .articlesPage:
                    _ = try db.store.articles(ArticleQuery(limit: 20, offset: 20 * offsetZipf.sample(&random)), viewerID: nil, &context)
                case .article:
                    _ = try db.store.article(slug: slugs[slugZipf.sample(&random)], viewerID: nil, &context)
                case .comments:
                    _ = try db.store.comments(slug: slugs[slugZipf.sample(&random)], viewerID: nil, &context)
                case .profile:
                    _ = try db.store.profile(username: usernames[slugZipf.sample(&random)], viewerID: nil, &context)
                case .tags:
                    _ = try db.store.tags(&context)
                case .feed:
                    _ = try db.store.articles(ArticleQuery(feedOf: user.id, limit: 20), viewerID: user.id, &context)
                case .favorite:
                    _ = try db.store.setFavorite(true, slug: slugs[slugZipf.sample(&random)], userID: user.id, &context)
                case .comment:
                    _ = try db.store.addComment(slug: slugs[slugZipf.sample(&random)],
                                                body: "Measured with Dyno, request \(seq).", authorID: user.id, &context)
                case .follow:
                    let name = usernames[slugZipf.sample(&random)]
                    if name != user.username {
                        _ = try db.store.setFollowing(true, username: name, followerID: user.id, &context)
                    }
                }
            } catch {
                tally.errors += 1
            }
            tally.requests[kind, default: 0] += 1
            tally.statements[kind, default: 0] += context.dbStatements
            tally.databaseNanoseconds += context.dbNanoseconds + context.poolNanoseconds
            tally.cacheNanoseconds += context.cacheNanoseconds
        }
        return tally
    }

    @Test func cacheCutsStatementsPerRequest() throws {
        let offDB = try CacheTestDatabase(cache: "off", scale: Self.scale)
        let off = try Self.replay(offDB, count: Self.requests)
        let onDB = try CacheTestDatabase(cache: "on", scale: Self.scale)
        let on = try Self.replay(onDB, count: Self.requests)
        #expect(off.errors == 0 && on.errors == 0)
        #expect(off.requests == on.requests)

        let allOff = off.perRequest { _ in true }, allOn = on.perRequest { _ in true }
        let hotOff = off.perRequest(\.isHotRead), hotOn = on.perRequest(\.isHotRead)
        func percent(_ a: Double, _ b: Double) -> String { String(format: "%.1f%%", (1 - b / a) * 100) }
        func fixed(_ x: Double) -> String { String(format: "%.2f", x) }
        print("cache mix (scale \(Self.scale), \(Self.requests) requests): statements/request off \(fixed(allOff)) on \(fixed(allOn)) (−\(percent(allOff, allOn))); hot anonymous reads off \(fixed(hotOff)) on \(fixed(hotOn)) (−\(percent(hotOff, hotOn)))")
        for kind in Kind.allCases {
            let a = off.perRequest { $0 == kind }, b = on.perRequest { $0 == kind }
            print("  \(kind.rawValue): \(off.requests[kind] ?? 0) requests, off \(fixed(a)) on \(fixed(b))")
        }
        func microseconds(_ ns: UInt64) -> String { String(format: "%.1f µs", Double(ns) / Double(Self.requests) / 1e3) }
        print("  time per request: pool+db off \(microseconds(off.databaseNanoseconds)), on \(microseconds(on.databaseNanoseconds)) + cache \(microseconds(on.cacheNanoseconds))")
        let probe = CacheKnob.probe(onDB.store)
        let stats = onDB.store.cache.statistics
        print("  cache: updated in place \(stats.updates), invalidated \(stats.invalidations), expired \(stats.expirations)")
        print("  probe: hits \(probe.hits) misses \(probe.misses) hit rate \(String(format: "%.3f", probe.hitRate)) evictions \(probe.evictions) entries \(probe.entries) bytes \(probe.bytes) saved \(probe.dbQueriesSaved)")
        // The issue's bar: at least 30% fewer statements per request over the whole mix.
        #expect(allOn <= allOff * 0.7)
        // Saved statements account exactly for the difference on the reads.
        func hotStatements(_ t: Tally) -> UInt64 {
            Kind.allCases.filter(\.isHotRead).reduce(UInt64(0)) { $0 + (t.statements[$1] ?? 0) }
        }
        #expect(hotStatements(off) - hotStatements(on) == probe.dbQueriesSaved)
    }
}
