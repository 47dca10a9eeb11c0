import Knobs
import Metrics
import Synchronization

/// `ConduitStore` decorator behind the `cache` knob: serves the hot anonymous reads (article by slug, its comments,
/// profiles, the tag list, article list pages) from a `ByteBoundedCache`, and invalidates what every write changed
/// before the write returns.
///
/// Knob "off": every read passes straight through, and the cache is emptied the first time a call sees it off (so
/// turning it on again starts cold). Writes invalidate whatever the knob says: it costs at most one uncontended lock
/// per shard per write (~2 µs with an empty cache), and it means no interleaving of knob flips, reads and writes can
/// leave a stale entry behind.
///
/// Only reads with no viewer are cached. The viewer-dependent fields (`favorited`, `author.following`) are then
/// always false, so one entry serves every anonymous caller, follow/unfollow change nothing cached, and a favorite
/// changes only the shared `favoritesCount`. Logged-in reads pass through: in the default load mix they are the feed
/// (per user anyway) and writes; overlaying each viewer's flags on a shared entry would need a query per hit and
/// would save little. Errors (404 and the like) are never cached.
///
/// Favorites and comments — the frequent writes, on exactly the Zipf-hot articles reads want — update the cached
/// entries in place instead of evicting them (`ByteBoundedCache.update`): the new `favoritesCount` (read in the
/// write's own transaction) goes into the article's entry and every page showing it; a new comment is inserted into
/// the cached list, a deleted one removed. Writes to one article that update entries are serialised (a striped lock
/// held across the write and its update), so the last committed value is the one left in the cache.
///
/// What a write invalidates (`ConduitCacheDependency` for the list pages):
/// - favorite/unfavorite: every `favorited=` page (its membership changed; the article's entry and other pages are
///   updated as above);
/// - update: the article under its old and new slug (and the old slug's comments if the slug changed); with new
///   tags also every page and the tag list (the article moves between tag filters);
/// - create, delete: every page and the tag list (a new or removed article shifts pages and counts of any list);
///   delete also the article's entry and comments;
/// - add/delete comment: nothing (the article's comment list is updated as above);
/// - update user: everything (rare; a user's name, bio and image appear in profiles, articles, comments and pages
///   of any kind, and a renamed user changes `author=` filters).
final class CachingConduitStore<Base: ConduitStore>: ConduitStore {
    typealias Cache = ByteBoundedCache<ConduitCacheKey, CachedRead, ConduitCacheDependency>

    let base: Base
    /// The `cache` knob ("off" | "on"); nil: the cache stays off.
    let knob: Knob?
    let cache: Cache
    private let onRawValue: Int
    /// Whether the last call that looked saw the knob on (the off transition empties the cache once).
    private let active = Atomic<Bool>(false)
    /// Serialise the writes that update entries in place, per article (by slug hash): two favorites of one article
    /// must apply their counts to the cache in commit order. 64 stripes: unrelated articles rarely share one.
    private let writeStripes: [WriteStripe] = (0..<64).map { _ in WriteStripe() }

    private final class WriteStripe: Sendable {
        let lock = Mutex(())
    }

    /// - Parameters:
    ///   - base: the store that does the work (`SQLiteConduitStore`).
    ///   - knob: the `cache` knob; must be a choice knob with an "on" value. Nil keeps the cache off (a registry
    ///     without a `cache` knob).
    ///   - capacityBytes: estimated bytes the cache may hold. Default 32 MiB.
    ///   - ttl: how long an entry may be served. Default 5 minutes (a safety net: writes through this store update
    ///     or invalidate precisely, so the TTL only bounds staleness from changes made behind its back; a short one
    ///     would reload every hot entry that often — at 30 s, expiries were ~40% of the misses in CacheMixMeasurement).
    ///   - clock: monotonic nanoseconds for the TTL (tests inject one).
    init(base: Base, knob: Knob?, capacityBytes: Int = 32 << 20, ttl: Duration = .seconds(300),
         clock: @escaping @Sendable () -> UInt64 = { MonotonicClock.nanoseconds() }) {
        var on = -1
        if let knob {
            guard case .choice(let values) = knob.definition.kind, let index = values.firstIndex(of: "on") else {
                preconditionFailure("knob \(knob.id) has no \"on\" value: it cannot drive the cache")
            }
            on = index
        }
        self.base = base
        self.knob = knob
        self.onRawValue = on
        self.cache = Cache(capacityBytes: capacityBytes, ttl: ttl, clock: clock)
    }

    /// Whether the knob is on now.
    var knobIsOn: Bool { knob?.rawValue == onRawValue }

    // MARK: Users (not cached)

    func user(id: Int64, _ context: inout RequestContext) throws -> UserRecord? {
        try base.user(id: id, &context)
    }

    func user(email: String, _ context: inout RequestContext) throws -> UserRecord? {
        try base.user(email: email, &context)
    }

    /// Nothing cached mentions a user that does not exist yet (not-found answers are not cached).
    func createUser(username: String, email: String, passwordHash: String, _ context: inout RequestContext) throws -> UserRecord {
        try base.createUser(username: username, email: email, passwordHash: passwordHash, &context)
    }

    func updateUser(id: Int64, _ changes: UserChanges, _ context: inout RequestContext) throws -> UserRecord {
        let user = try base.updateUser(id: id, changes, &context)
        let started = MonotonicClock.nanoseconds()
        cache.removeAll()
        context.cacheNanoseconds &+= MonotonicClock.nanoseconds() &- started
        return user
    }

    // MARK: Profiles

    func profile(username: String, viewerID: Int64?, _ context: inout RequestContext) throws -> Profile {
        guard viewerID == nil, isEnabled() else {
            return try base.profile(username: username, viewerID: viewerID, &context)
        }
        let key = ConduitCacheKey.profile(username: username)
        let value = try cached(key, &context) { context in
            (.profile(try base.profile(username: username, viewerID: nil, &context)), [])
        }
        guard case .profile(let profile) = value else { Self.mismatch(key) }
        return profile
    }

    /// Cached reads are anonymous: `following` is false in all of them, whoever follows whom.
    func setFollowing(_ following: Bool, username: String, followerID: Int64, _ context: inout RequestContext) throws -> Profile {
        try base.setFollowing(following, username: username, followerID: followerID, &context)
    }

    // MARK: Articles

    func articles(_ query: ArticleQuery, viewerID: Int64?, _ context: inout RequestContext) throws -> ArticlePage {
        guard viewerID == nil, query.feedOf == nil, isEnabled() else {
            return try base.articles(query, viewerID: viewerID, &context)
        }
        let key = ConduitCacheKey.articles(.init(query))
        let value = try cached(key, &context) { context in
            let page = try base.articles(query, viewerID: nil, &context)
            var dependencies: [ConduitCacheDependency] = [.allLists]
            if query.favoritedBy != nil { dependencies.append(.favoritedLists) }
            dependencies.reserveCapacity(dependencies.count + page.articles.count)
            for article in page.articles { dependencies.append(.article(id: article.id)) }
            return (.page(page), dependencies)
        }
        guard case .page(let page) = value else { Self.mismatch(key) }
        return page
    }

    func article(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> Article {
        guard viewerID == nil, isEnabled() else {
            return try base.article(slug: slug, viewerID: viewerID, &context)
        }
        let key = ConduitCacheKey.article(slug: slug)
        let value = try cached(key, &context) { context in
            let article = try base.article(slug: slug, viewerID: nil, &context)
            return (.article(article), [.article(id: article.id)])
        }
        guard case .article(let article) = value else { Self.mismatch(key) }
        return article
    }

    func createArticle(_ article: NewArticle, authorID: Int64, _ context: inout RequestContext) throws -> Article {
        let created = try base.createArticle(article, authorID: authorID, &context)
        invalidate(keys: [.tags], dependencies: [.allLists], &context)
        return created
    }

    func updateArticle(slug: String, _ changes: ArticleChanges, editorID: Int64, _ context: inout RequestContext) throws -> Article {
        let updated = try base.updateArticle(slug: slug, changes, editorID: editorID, &context)
        var keys: [ConduitCacheKey] = [.article(slug: slug)]
        var dependencies: [ConduitCacheDependency] = [.article(id: updated.id)]
        if updated.slug != slug {
            // The old slug is gone: its comments now answer 404.
            keys += [.article(slug: updated.slug), .comments(slug: slug)]
        }
        if changes.tagList != nil {
            keys.append(.tags)
            dependencies.append(.allLists)
        }
        invalidate(keys: keys, dependencies: dependencies, &context)
        return updated
    }

    func deleteArticle(slug: String, editorID: Int64, _ context: inout RequestContext) throws {
        try base.deleteArticle(slug: slug, editorID: editorID, &context)
        invalidate(keys: [.article(slug: slug), .comments(slug: slug), .tags], dependencies: [.allLists], &context)
    }

    func setFavorite(_ favorite: Bool, slug: String, userID: Int64, _ context: inout RequestContext) throws -> Article {
        try serialized(slug) {
            let article = try base.setFavorite(favorite, slug: slug, userID: userID, &context)
            invalidate(keys: [], dependencies: [.favoritedLists], &context)
            let (id, count) = (article.id, article.favoritesCount)
            update(keys: [.article(slug: slug)], dependencies: [.article(id: id)], &context) { value in
                value.withFavoritesCount(count, articleID: id)
            }
            return article
        }
    }

    // MARK: Comments

    func comments(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> [Comment] {
        guard viewerID == nil, isEnabled() else {
            return try base.comments(slug: slug, viewerID: viewerID, &context)
        }
        let key = ConduitCacheKey.comments(slug: slug)
        let value = try cached(key, &context) { context in
            (.comments(try base.comments(slug: slug, viewerID: nil, &context)), [])
        }
        guard case .comments(let comments) = value else { Self.mismatch(key) }
        return comments
    }

    func addComment(slug: String, body: String, authorID: Int64, _ context: inout RequestContext) throws -> Comment {
        try serialized(slug) {
            let comment = try base.addComment(slug: slug, body: body, authorID: authorID, &context)
            update(keys: [.comments(slug: slug)], &context) { value in
                guard case .comments(let list) = value else { return nil }
                return .comments(ConduitCacheValue.inserting(comment, into: list))
            }
            return comment
        }
    }

    func deleteComment(slug: String, commentID: Int64, editorID: Int64, _ context: inout RequestContext) throws {
        try serialized(slug) {
            try base.deleteComment(slug: slug, commentID: commentID, editorID: editorID, &context)
            update(keys: [.comments(slug: slug)], &context) { value in
                guard case .comments(let list) = value else { return nil }
                return .comments(list.filter { $0.id != commentID })
            }
        }
    }

    // MARK: Tags

    func tags(_ context: inout RequestContext) throws -> [String] {
        guard isEnabled() else { return try base.tags(&context) }
        let value = try cached(.tags, &context) { context in (.tags(try base.tags(&context)), []) }
        guard case .tags(let names) = value else { Self.mismatch(.tags) }
        return names
    }

    // MARK: Encoded bodies

    /// The stored bodies of `key` when the knob is on and the entry is fresh: what `ConduitAPI.cachedResponse` sends.
    func cachedBodies(for key: ConduitCacheKey) -> CachedBodies? {
        guard isEnabled() else { return nil }
        return cache.peek(key)?.bodies
    }

    /// Exports are not cached: they are large, rare and read once.
    func exportArticles(_ filter: ExportFilter, afterID: Int64, limit: Int, viewerID: Int64?,
                        _ context: inout RequestContext) throws -> [Article] {
        try base.exportArticles(filter, afterID: afterID, limit: limit, viewerID: viewerID, &context)
    }

    // MARK: Helpers

    /// Whether reads use the cache now (one relaxed atomic load of the knob). Empties the cache on the first call
    /// that sees the knob turned off.
    private func isEnabled() -> Bool {
        if knobIsOn {
            if !active.load(ordering: .relaxed) { active.store(true, ordering: .relaxed) }
            return true
        }
        if active.load(ordering: .relaxed), active.exchange(false, ordering: .relaxed) { cache.removeAll() }
        return false
    }

    /// The value of `key` from the cache, or from `load` (one caller per key at a time). Time in the cache (lookup,
    /// insert, waiting for another caller's load) goes to the request's "cache" stage; the load's own pool and DB
    /// time are recorded by the store as usual. The statements the load executed are stored as the entry's cost:
    /// what each hit saves.
    private func cached(_ key: ConduitCacheKey, _ context: inout RequestContext,
                        _ load: (inout RequestContext) throws -> (ConduitCacheValue, [ConduitCacheDependency]))
        throws -> ConduitCacheValue
    {
        let started = MonotonicClock.nanoseconds()
        var loading: UInt64 = 0
        defer { context.cacheNanoseconds &+= (MonotonicClock.nanoseconds() &- started) &- loading }
        return try cache.value(forKey: key) {
            let loadStarted = MonotonicClock.nanoseconds()
            defer { loading = MonotonicClock.nanoseconds() &- loadStarted }
            let statementsBefore = context.dbStatements
            let (value, dependencies) = try load(&context)
            let read = CachedRead(value)
            return CacheLoad(value: read, bytes: key.estimatedBytes + read.estimatedBytes,
                             cost: context.dbStatements &- statementsBefore, dependencies: dependencies)
        }.value
    }

    /// Runs a write that updates cached entries of the article `slug` under that article's stripe lock.
    private func serialized<T>(_ slug: String, _ body: () throws -> T) throws -> T {
        var hasher = Hasher()
        hasher.combine(slug)
        let stripe = writeStripes[Int(UInt(bitPattern: hasher.finalize()) % UInt(writeStripes.count))]
        return try stripe.lock.withLock { _ in try body() }
    }

    /// Rewrites the cached entries of `keys` and `dependencies` with `transform` (nil: remove the entry). Their bodies
    /// are encoded on their first hit (`CachedRead(updated:previous:)`), not here and not on every hit.
    private func update(keys: [ConduitCacheKey], dependencies: [ConduitCacheDependency] = [],
                        _ context: inout RequestContext, _ transform: (ConduitCacheValue) -> ConduitCacheValue?) {
        let started = MonotonicClock.nanoseconds()
        cache.update(keys: keys, dependencies: dependencies) { key, read in
            guard let value = transform(read.value) else { return nil }
            let updated = CachedRead(updated: value, previous: read)
            return (updated, key.estimatedBytes + updated.estimatedBytes)
        }
        context.cacheNanoseconds &+= MonotonicClock.nanoseconds() &- started
    }

    private func invalidate(keys: [ConduitCacheKey], dependencies: [ConduitCacheDependency] = [],
                            _ context: inout RequestContext) {
        let started = MonotonicClock.nanoseconds()
        cache.invalidate(keys: keys, dependencies: dependencies)
        context.cacheNanoseconds &+= MonotonicClock.nanoseconds() &- started
    }

    private static func mismatch(_ key: ConduitCacheKey) -> Never {
        preconditionFailure("cache entry of \(key) holds a value of another kind")
    }
}
