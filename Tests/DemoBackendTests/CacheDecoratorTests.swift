import Dispatch
import Synchronization
import Testing
@testable import DemoBackend

/// A read through a store, as a comparable value (errors by description).
enum CacheRead: Equatable, CustomStringConvertible {
    case article(slug: String)
    case comments(slug: String)
    case profile(username: String)
    case tags
    case articles(ArticleQuery)

    enum Answer: Equatable {
        case article(Article)
        case page(ArticlePage)
        case comments([CacheComment])
        case profile(Profile)
        case tags([String])
        case error(String)
    }

    func run(_ store: some ConduitStore, viewerID: Int64? = nil, _ context: inout RequestContext) -> Answer {
        do {
            switch self {
            case .article(let slug): return .article(try store.article(slug: slug, viewerID: viewerID, &context))
            case .comments(let slug): return .comments(try store.comments(slug: slug, viewerID: viewerID, &context))
            case .profile(let name): return .profile(try store.profile(username: name, viewerID: viewerID, &context))
            case .tags: return .tags(try store.tags(&context))
            case .articles(let query): return .page(try store.articles(query, viewerID: viewerID, &context))
            }
        } catch {
            return .error(String(describing: error))
        }
    }

    var description: String {
        switch self {
        case .article(let s): "article \(s)"
        case .comments(let s): "comments \(s)"
        case .profile(let u): "profile \(u)"
        case .tags: "tags"
        case .articles(let q): "articles tag=\(q.tag ?? "-") author=\(q.author ?? "-") favorited=\(q.favoritedBy ?? "-") limit=\(q.limit) offset=\(q.offset)"
        }
    }
}

/// `CachingConduitStore` over the real SQLite store on a tiny seeded database.
@Suite("Cache: caching store")
final class CacheDecoratorTests {
    let db: CacheTestDatabase

    init() throws { db = try CacheTestDatabase(cache: "on") }

    // MARK: Fixtures

    /// The newest article (page 0 of every unfiltered list) and its author.
    func newestArticle() throws -> Article {
        try db.call { try db.sqlite.articles(ArticleQuery(limit: 1), viewerID: nil, &$0) }.articles[0]
    }

    /// A user other than `authorID` who has not favorited `slug`.
    func nonFavoritingUser(of slug: String, except authorID: Int64) throws -> UserRecord {
        for id in Int64(1)...20 where id != authorID {
            let favorited = try db.call { try db.sqlite.article(slug: slug, viewerID: id, &$0) }.favorited
            if !favorited, let user = try db.call({ try db.sqlite.user(id: id, &$0) }) { return user }
        }
        throw CacheFakeStoreError.unsupported("every seeded user favorited \(slug)")
    }

    /// A fixed set of reads around `article`: its entry, comments, author, the lists it is on, its tags.
    func reads(around article: Article, favoritedBy: String) throws -> [CacheRead] {
        let tags = try db.call { try db.sqlite.tags(&$0) }
        var reads: [CacheRead] = [
            .article(slug: article.slug), .comments(slug: article.slug), .profile(username: article.author.username),
            .tags,
            .articles(ArticleQuery()), .articles(ArticleQuery(limit: 5, offset: 1)),
            .articles(ArticleQuery(limit: 20, offset: 40)), .articles(ArticleQuery(limit: 500)),
            .articles(ArticleQuery(author: article.author.username)),
            .articles(ArticleQuery(favoritedBy: favoritedBy)),
            .articles(ArticleQuery(favoritedBy: article.author.username, limit: 3)),
            .article(slug: "no-such-article-0"), .comments(slug: "no-such-article-0"), .profile(username: "nobody"),
        ]
        for tag in tags.prefix(3) { reads.append(.articles(ArticleQuery(tag: tag))) }
        for tag in article.tagList { reads.append(.articles(ArticleQuery(tag: tag, limit: 10))) }
        // A few other articles, including ones not on page 0.
        let others = try db.call { try db.sqlite.articles(ArticleQuery(limit: 3, offset: 30), viewerID: nil, &$0) }
        for other in others.articles {
            reads += [.article(slug: other.slug), .comments(slug: other.slug)]
        }
        return reads
    }

    /// Reads everything through the cache (filling it).
    func warm(_ reads: [CacheRead]) {
        for read in reads { db.call { _ = read.run(db.store, &$0) } }
    }

    /// Every read through the cache answers what the database answers now, twice (the second from the cache).
    func expectFresh(_ reads: [CacheRead], after write: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for read in reads {
            let truth = db.call { read.run(db.sqlite, &$0) }
            let first = db.call { read.run(db.store, &$0) }
            let second = db.call { read.run(db.store, &$0) }
            #expect(first == truth, "after \(write): \(read) is stale", sourceLocation: sourceLocation)
            #expect(second == truth, "after \(write): \(read) is stale on the second read", sourceLocation: sourceLocation)
        }
    }

    // MARK: Same answers, fewer statements

    @Test func cacheOffAndOnGiveTheSameAnswers() throws {
        let article = try newestArticle()
        let reads = try reads(around: article, favoritedBy: "user1")
        try db.setCache("off")
        let off = reads.map { read in db.call { read.run(db.store, &$0) } }
        let loggedInOff = reads.map { read in db.call { read.run(db.store, viewerID: 3, &$0) } }
        try db.setCache("on")
        let onMiss = reads.map { read in db.call { read.run(db.store, &$0) } }
        let onHit = reads.map { read in db.call { read.run(db.store, &$0) } }
        let loggedInOn = reads.map { read in db.call { read.run(db.store, viewerID: 3, &$0) } }
        for (i, read) in reads.enumerated() {
            #expect(onMiss[i] == off[i], "\(read): first read with the cache on differs")
            #expect(onHit[i] == off[i], "\(read): cached read differs")
            #expect(loggedInOn[i] == loggedInOff[i], "\(read): logged-in read differs")
        }
        #expect(off.contains { if case .error = $0 { true } else { false } })   // the 404s are part of the set
    }

    @Test func hitsExecuteNoStatements() throws {
        let article = try newestArticle()
        let reads = try reads(around: article, favoritedBy: "user1")
        var firstTotal: UInt64 = 0
        var cachedReads: UInt64 = 0
        for read in reads {
            let first = db.measured { read.run(db.store, &$0) }
            let second = db.measured { read.run(db.store, &$0) }
            #expect(first.statements > 0, "\(read)")
            if case .error = first.value {
                #expect(second.statements == first.statements, "\(read): errors are not cached")
            } else {
                #expect(second.statements == 0, "\(read): a hit ran SQL")
                firstTotal += first.statements
                cachedReads += 1
            }
        }
        let probe = CacheKnob.probe(db.store)
        #expect(probe.enabled)
        #expect(probe.hits == cachedReads)
        #expect(probe.dbQueriesSaved == firstTotal)
        #expect(probe.entries == Int(cachedReads))
        #expect(probe.bytes > 0 && probe.bytes <= probe.capacityBytes)
    }

    @Test func loggedInReadsPassThrough() throws {
        let article = try newestArticle()
        for _ in 0..<2 {
            let read = try db.measured { try db.store.article(slug: article.slug, viewerID: 1, &$0) }
            #expect(read.statements > 0)
            let feed = try db.measured { try db.store.articles(ArticleQuery(feedOf: 1), viewerID: 1, &$0) }
            #expect(feed.statements > 0)
        }
        #expect(CacheKnob.probe(db.store).hits == 0)
        #expect(CacheKnob.probe(db.store).entries == 0)
    }

    @Test func cacheTimeIsRecordedInTheCacheStage() throws {
        var context = cacheTestContext()
        _ = try db.store.tags(&context)
        _ = try db.store.tags(&context)
        #expect(context.cacheNanoseconds > 0)
    }

    @Test func metricsExposeTheCounters() throws {
        let article = try newestArticle()
        for _ in 0..<3 { _ = db.call { CacheRead.article(slug: article.slug).run(db.store, &$0) } }
        var writer = PrometheusWriter()
        CacheKnob.writeMetrics(db.store, to: &writer)
        let out = writer.text
        var values: [String: Double] = [:]
        for line in out.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            #expect(parts.count == 2, "malformed line \(line)")
            values[String(parts[0])] = Double(parts[1])
        }
        #expect(values["dyno_cache_enabled"] == 1)
        #expect(values["dyno_cache_hits_total"] == 2)
        #expect(values["dyno_cache_misses_total"] == 1)
        #expect(values["dyno_cache_evictions_total"] == 0)
        #expect(values["dyno_cache_entries"] == 1)
        #expect((values["dyno_cache_bytes"] ?? 0) > 0)
        #expect(values["dyno_cache_capacity_bytes"] == Double(32 << 20))
        #expect((values["dyno_cache_db_queries_saved_total"] ?? 0) > 0)
        for name in ["coalesced_total", "expirations_total", "invalidations_total"] {
            #expect(values["dyno_cache_\(name)"] == 0)
        }
    }

    // MARK: Writes then reads

    @Test func favoriteAndUnfavoriteAreSeenAtOnce() throws {
        let article = try newestArticle()
        let user = try nonFavoritingUser(of: article.slug, except: article.author.id)
        let reads = try reads(around: article, favoritedBy: user.username)
        warm(reads)
        let favorited = try db.call { try db.store.setFavorite(true, slug: article.slug, userID: user.id, &$0) }
        #expect(favorited.favoritesCount == article.favoritesCount + 1)
        // The writer's own next read (logged in) and anonymous readers all see it.
        #expect(try db.call { try db.store.article(slug: article.slug, viewerID: user.id, &$0) }.favorited)
        let anonymous = try db.call { try db.store.article(slug: article.slug, viewerID: nil, &$0) }
        #expect(anonymous.favoritesCount == article.favoritesCount + 1)
        let page = try db.call { try db.store.articles(ArticleQuery(), viewerID: nil, &$0) }
        #expect(page.articles[0].favoritesCount == article.favoritesCount + 1)
        let theirs = try db.call { try db.store.articles(ArticleQuery(favoritedBy: user.username), viewerID: nil, &$0) }
        #expect(theirs.articles.contains { $0.slug == article.slug })
        expectFresh(reads, after: "favorite")
        _ = try db.call { try db.store.setFavorite(false, slug: article.slug, userID: user.id, &$0) }
        expectFresh(reads, after: "unfavorite")
    }

    @Test func updatedArticleIsSeenAtOnceUnderItsNewSlug() throws {
        let article = try newestArticle()
        var reads = try reads(around: article, favoritedBy: "user1")
        warm(reads)
        let changes = ArticleChanges(title: "A completely new title", description: nil, body: "New body", tagList: nil)
        let updated = try db.call { try db.store.updateArticle(slug: article.slug, changes, editorID: article.author.id, &$0) }
        #expect(updated.slug != article.slug)
        #expect(db.call { CacheRead.article(slug: article.slug).run(db.store, &$0) } == .error(String(describing: APIError.articleNotFound)))
        #expect(try db.call { try db.store.article(slug: updated.slug, viewerID: nil, &$0) }.body == "New body")
        reads += [.article(slug: updated.slug), .comments(slug: updated.slug)]
        expectFresh(reads, after: "update title/body")

        let retagged = ArticleChanges(title: nil, description: nil, body: nil, tagList: ["zz-cache-test-tag"])
        _ = try db.call { try db.store.updateArticle(slug: updated.slug, retagged, editorID: article.author.id, &$0) }
        let tags = try db.call { try db.store.tags(&$0) }
        #expect(tags.contains("zz-cache-test-tag"))
        reads.append(.articles(ArticleQuery(tag: "zz-cache-test-tag")))
        expectFresh(reads, after: "update tags")
    }

    @Test func deletedArticleIsGoneAtOnce() throws {
        let article = try newestArticle()
        let reads = try reads(around: article, favoritedBy: "user1")
        warm(reads)
        try db.call { try db.store.deleteArticle(slug: article.slug, editorID: article.author.id, &$0) }
        let notFound = CacheRead.Answer.error(String(describing: APIError.articleNotFound))
        #expect(db.call { CacheRead.article(slug: article.slug).run(db.store, &$0) } == notFound)
        #expect(db.call { CacheRead.comments(slug: article.slug).run(db.store, &$0) } == notFound)
        let page = try db.call { try db.store.articles(ArticleQuery(), viewerID: nil, &$0) }
        #expect(!page.articles.contains { $0.slug == article.slug })
        expectFresh(reads, after: "delete")
    }

    @Test func addedAndDeletedCommentsAreSeenAtOnce() throws {
        let article = try newestArticle()
        let user = try nonFavoritingUser(of: article.slug, except: article.author.id)
        let reads = try reads(around: article, favoritedBy: user.username)
        warm(reads)
        let comment = try db.call { try db.store.addComment(slug: article.slug, body: "Cached?", authorID: user.id, &$0) }
        let after = try db.call { try db.store.comments(slug: article.slug, viewerID: nil, &$0) }
        #expect(after.contains { $0.id == comment.id && $0.body == "Cached?" })
        expectFresh(reads, after: "add comment")
        try db.call { try db.store.deleteComment(slug: article.slug, commentID: comment.id, editorID: user.id, &$0) }
        let gone = try db.call { try db.store.comments(slug: article.slug, viewerID: nil, &$0) }
        #expect(!gone.contains { $0.id == comment.id })
        expectFresh(reads, after: "delete comment")
    }

    @Test func createdArticleAppearsAtOnce() throws {
        let article = try newestArticle()
        var reads = try reads(around: article, favoritedBy: "user1")
        warm(reads)
        let created = try db.call {
            try db.store.createArticle(NewArticle(title: "Fresh", description: "d", body: "b", tagList: ["zz-new-tag"]),
                                       authorID: article.author.id, &$0)
        }
        let page = try db.call { try db.store.articles(ArticleQuery(), viewerID: nil, &$0) }
        #expect(page.articles.first?.slug == created.slug)
        reads += [.article(slug: created.slug), .articles(ArticleQuery(tag: "zz-new-tag"))]
        expectFresh(reads, after: "create")
    }

    @Test func updatedUserIsSeenEverywhereAtOnce() throws {
        let article = try newestArticle()
        let reads = try reads(around: article, favoritedBy: "user1")
        warm(reads)
        var changes = UserChanges()
        changes.bio = .some("A new bio")
        _ = try db.call { try db.store.updateUser(id: article.author.id, changes, &$0) }
        let profile = try db.call { try db.store.profile(username: article.author.username, viewerID: nil, &$0) }
        #expect(profile.bio == "A new bio")
        #expect(try db.call { try db.store.article(slug: article.slug, viewerID: nil, &$0) }.author.bio == "A new bio")
        expectFresh(reads, after: "update user")
    }

    @Test func followDoesNotChangeAnonymousReads() throws {
        let article = try newestArticle()
        let user = try nonFavoritingUser(of: article.slug, except: article.author.id)
        let reads = try reads(around: article, favoritedBy: user.username)
        warm(reads)
        _ = try db.call { try db.store.setFollowing(true, username: article.author.username, followerID: user.id, &$0) }
        expectFresh(reads, after: "follow")
    }

    // MARK: Knob

    @Test func turningTheKnobOffEmptiesTheCacheAndOnStartsCold() throws {
        let article = try newestArticle()
        _ = db.measured { CacheRead.article(slug: article.slug).run(db.store, &$0) }
        #expect(db.measured { CacheRead.article(slug: article.slug).run(db.store, &$0) }.statements == 0)
        #expect(CacheKnob.probe(db.store).entries == 1)
        try db.setCache("off")
        #expect(db.measured { CacheRead.article(slug: article.slug).run(db.store, &$0) }.statements > 0)
        #expect(CacheKnob.probe(db.store).entries == 0)
        #expect(!CacheKnob.probe(db.store).enabled)
        try db.setCache("on")
        #expect(db.measured { CacheRead.article(slug: article.slug).run(db.store, &$0) }.statements > 0)
        #expect(db.measured { CacheRead.article(slug: article.slug).run(db.store, &$0) }.statements == 0)
    }

    @Test func writesWhileOffAreNotMissedWhenTurnedBackOn() throws {
        let article = try newestArticle()
        let user = try nonFavoritingUser(of: article.slug, except: article.author.id)
        let reads = try reads(around: article, favoritedBy: user.username)
        warm(reads)
        try db.setCache("off")
        _ = try db.call { try db.store.setFavorite(true, slug: article.slug, userID: user.id, &$0) }
        try db.setCache("on")
        expectFresh(reads, after: "favorite while off")
    }
}

/// `CachingConduitStore` single-flight and load-vs-write races, on a fake store that blocks its loads on demand.
@Suite("Cache: caching store concurrency")
struct CacheDecoratorConcurrencyTests {
    @Test func concurrentAnonymousMissesMakeOneLoad() throws {
        let fake = CacheFakeStore()
        let store = CachingConduitStore(base: fake, knob: cacheTestKnob("on").knob)
        let k = 8
        fake.blockingLoads.store(1, ordering: .sequentiallyConsistent)
        let answers = Mutex<[Int64]>([])
        let threads = (0..<k).map { _ in
            CacheTestThread {
                var context = cacheTestContext()
                let article = try? store.article(slug: "hot", viewerID: nil, &context)
                answers.withLock { $0.append(article?.favoritesCount ?? -1) }
            }
        }
        fake.loadBlocked.wait()
        #expect(cacheWait { store.cache.inFlightLoad(forKey: .article(slug: "hot"))?.waiterCount == k - 1 })
        fake.release.signal()
        threads.forEach { $0.join() }
        #expect(fake.loads.load(ordering: .sequentiallyConsistent) == 1)
        #expect(answers.withLock { $0 } == Array(repeating: 0, count: k))
        let probe = CacheKnob.probe(store)
        #expect(probe.misses == UInt64(k))
        #expect(probe.dbQueriesSaved == UInt64(k - 1))   // each waiter saved the loader's one statement
    }

    @Test func loadRacingAFavoriteLeavesNoStaleEntry() throws {
        let fake = CacheFakeStore()
        let store = CachingConduitStore(base: fake, knob: cacheTestKnob("on").knob)
        fake.blockingLoads.store(1, ordering: .sequentiallyConsistent)
        let early = Mutex<Int64?>(nil)
        // A reader reads favoritesCount 0, then stalls before the cache sees its value.
        let reader = CacheTestThread {
            var context = cacheTestContext()
            let article = try? store.article(slug: "hot", viewerID: nil, &context)
            early.withLock { $0 = article?.favoritesCount }
        }
        fake.loadBlocked.wait()
        // A favorite commits and returns meanwhile.
        var context = cacheTestContext()
        let favorited = try store.setFavorite(true, slug: "hot", userID: 2, &context)
        #expect(favorited.favoritesCount == 1)
        // Readers after the write returned see it: they do not join the stalled load.
        #expect(try store.article(slug: "hot", viewerID: nil, &context).favoritesCount == 1)
        #expect(fake.loads.load(ordering: .sequentiallyConsistent) == 2)
        fake.release.signal()
        reader.join()
        #expect(early.withLock { $0 } == 0)   // overlapped the write: the old answer is allowed
        // The stalled load did not overwrite the fresh entry.
        #expect(try store.article(slug: "hot", viewerID: nil, &context).favoritesCount == 1)
        #expect(fake.loads.load(ordering: .sequentiallyConsistent) == 2)
    }

    @Test func loadErrorsAreSharedAndNotCached() throws {
        let fake = CacheFakeStore()
        let store = CachingConduitStore(base: fake, knob: cacheTestKnob("on").knob)
        fake.failing.store(true, ordering: .sequentiallyConsistent)
        var context = cacheTestContext()
        #expect(throws: CacheFakeStoreError.failedLoad) { try store.article(slug: "x", viewerID: nil, &context) }
        fake.failing.store(false, ordering: .sequentiallyConsistent)
        #expect(try store.article(slug: "x", viewerID: nil, &context).slug == "x")
        #expect(fake.loads.load(ordering: .sequentiallyConsistent) == 2)
    }
}
