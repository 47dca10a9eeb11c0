@testable import DemoBackend
import Synchronization
import Testing

/// Favorites and comments update the cached entries they change instead of evicting them: the next reads are hits
/// (no statements) and show the write.
@Suite("Cache: favorites and comments update entries in place")
struct CacheUpdateInPlaceTests {
    /// Statements `body` executed.
    static func statements(_ body: (inout RequestContext) throws -> Void) rethrows -> UInt64 {
        var context = cacheTestContext()
        try body(&context)
        return context.dbStatements
    }

    @Test func favoriteUpdatesTheArticleAndEveryPageShowingIt() throws {
        let db = try CacheTestDatabase(cache: "on")
        let article = try db.call { try db.sqlite.articles(ArticleQuery(limit: 1), viewerID: nil, &$0) }.articles[0]
        let tag = try #require(article.tagList.first)
        let pages = [ArticleQuery(), ArticleQuery(tag: tag), ArticleQuery(author: article.author.username, limit: 5)]
        _ = try db.call { try db.store.article(slug: article.slug, viewerID: nil, &$0) }
        for page in pages { _ = try db.call { try db.store.articles(page, viewerID: nil, &$0) } }

        let user: Int64 = article.author.id == 1 ? 2 : 1
        let favorited = try db.call { try db.store.setFavorite(true, slug: article.slug, userID: user, &$0) }
        let count = favorited.favoritesCount
        var shownCount: Int64 = -1
        #expect(try Self.statements { shownCount = try db.store.article(slug: article.slug, viewerID: nil, &$0).favoritesCount } == 0)
        #expect(shownCount == count)
        for page in pages {
            let n = try Self.statements { context in
                let shown = try db.store.articles(page, viewerID: nil, &context).articles.first { $0.id == article.id }
                #expect(shown?.favoritesCount == count, "\(page)")
            }
            #expect(n == 0, "\(page) was reloaded")
        }
        _ = try db.call { try db.store.setFavorite(false, slug: article.slug, userID: user, &$0) }
        #expect(try db.call { try db.store.article(slug: article.slug, viewerID: nil, &$0) }.favoritesCount == count - 1)
        #expect(db.store.cache.statistics.updates >= 8)
        #expect(db.store.cache.statistics.invalidations == 0)
    }

    @Test func commentsAreInsertedAndRemovedInTheCachedList() throws {
        let db = try CacheTestDatabase(cache: "on")
        let article = try db.call { try db.sqlite.articles(ArticleQuery(limit: 1), viewerID: nil, &$0) }.articles[0]
        let before = try db.call { try db.store.comments(slug: article.slug, viewerID: nil, &$0) }
        // The commenter follows the author: the cached (anonymous) list must still say following = false.
        _ = try db.call { try db.store.setFollowing(true, username: article.author.username, followerID: article.author.id == 3 ? 4 : 3, &$0) }
        let commenter: Int64 = article.author.id == 3 ? 4 : 3
        let added = try db.call { try db.store.addComment(slug: article.slug, body: "in place", authorID: commenter, &$0) }
        var cached = before
        #expect(try Self.statements { cached = try db.store.comments(slug: article.slug, viewerID: nil, &$0) } == 0)
        #expect(cached == (try db.call { try db.sqlite.comments(slug: article.slug, viewerID: nil, &$0) }))
        #expect(cached.count == before.count + 1)
        try db.call { try db.store.deleteComment(slug: article.slug, commentID: added.id, editorID: commenter, &$0) }
        #expect(try Self.statements { cached = try db.store.comments(slug: article.slug, viewerID: nil, &$0) } == 0)
        #expect(cached == before)
    }

    /// Concurrent favorites of one article: whatever the interleaving, the cached count after all of them returned
    /// is the database's.
    @Test func concurrentFavoritesLeaveTheCommittedCount() throws {
        let db = try CacheTestDatabase(cache: "on")
        let article = try db.call { try db.sqlite.articles(ArticleQuery(limit: 1), viewerID: nil, &$0) }.articles[0]
        _ = try db.call { try db.store.article(slug: article.slug, viewerID: nil, &$0) }
        let store = db.store
        let threads = (Int64(1)...8).map { user in
            CacheTestThread {
                for round in 0..<6 {
                    var context = cacheTestContext(.favorite)
                    _ = try? store.setFavorite(round % 2 == 0, slug: article.slug, userID: user, &context)
                    _ = try? store.article(slug: article.slug, viewerID: nil, &context)
                }
            }
        }
        for thread in threads { thread.join() }
        let truth = try db.call { try db.sqlite.article(slug: article.slug, viewerID: nil, &$0) }.favoritesCount
        #expect(try db.call { try db.store.article(slug: article.slug, viewerID: nil, &$0) }.favoritesCount == truth)
    }
}
