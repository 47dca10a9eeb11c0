import Synchronization

/// What `CachingConduitStore` caches: keys, values and the dependencies invalidation works with.

/// A cached read. All cached reads are anonymous (viewer nil), so the key carries no viewer.
enum ConduitCacheKey: Hashable, Sendable {
    case article(slug: String)
    case comments(slug: String)
    case profile(username: String)
    case tags
    case articles(ListKey)

    /// The filters and page of a cached `GET /api/articles` (never a feed: feeds are per user).
    struct ListKey: Hashable, Sendable {
        var tag: String?
        var author: String?
        var favoritedBy: String?
        var limit: Int
        var offset: Int

        init(_ query: ArticleQuery) {
            tag = query.tag
            author = query.author
            favoritedBy = query.favoritedBy
            limit = query.limit
            offset = query.offset
        }
    }

    /// Estimated bytes of the key as stored (strings counted by UTF-8 length).
    var estimatedBytes: Int {
        switch self {
        case .article(let s), .comments(let s), .profile(let s): return 16 + ConduitCacheValue.bytes(s)
        case .tags: return 16
        case .articles(let k):
            return 48 + ConduitCacheValue.bytes(k.tag) + ConduitCacheValue.bytes(k.author)
                + ConduitCacheValue.bytes(k.favoritedBy)
        }
    }
}

/// What the cache stores for a read: the value (for the store's callers and for in-place updates) and its response
/// bodies (`CachedBodies`), so that a hit is answered with stored bytes on the event loop instead of re-encoding the
/// value on every hit. An update builds a new `CachedRead` (new value, new bodies): the identity and gzip bytes of
/// one entry always come from the same value, and a write never leaves a stale variant behind.
struct CachedRead: Sendable {
    let value: ConduitCacheValue
    let bodies: CachedBodies

    /// A value just loaded (a miss, on a worker): its JSON is encoded now, since the first hit is likely soon.
    init(_ value: ConduitCacheValue) {
        self.value = value
        bodies = CachedBodies(value, identity: value.encodedBody())
    }

    /// A value rewritten by a write (`CachingConduitStore.update`): its JSON is encoded on the first hit instead.
    /// A favorite rewrites every cached page showing the article — a 500-article harvest page among them — and most
    /// of those are not read again before the next write: encoding them all in the write cost ≈ 3 ms per favorite
    /// (measured in the default profile). The size estimate keeps the previous body's size until then.
    init(updated value: ConduitCacheValue, previous: CachedRead) {
        self.value = value
        bodies = CachedBodies(encoding: value, estimatedIdentityBytes: previous.bodies.estimatedIdentityBytes)
    }

    /// Estimated footprint: the value, and the bodies (see `CachedBodies.estimatedBytes`).
    var estimatedBytes: Int { value.estimatedBytes + bodies.estimatedBytes }
}

/// The response bodies of one cached value: the JSON ("identity") and its gzip variant, each made at most once —
/// identity at fill or on the first hit after an update, gzip on the first hit that asks for it (a gzip variant
/// made at fill would be wasted on entries only identity clients read, and on every entry when the `compression`
/// knob is off). Whoever needs a missing body first makes it under the entry's lock; concurrent hits of the same
/// entry wait for it (tens of µs once per entry and write) instead of making it twice.
final class CachedBodies: Sendable {
    private struct State {
        var identity: [UInt8]?
        var gzip: [UInt8]?
    }

    private let state: Mutex<State>
    /// What the bodies encode (one shared box: `ConduitCacheValue` is indirect).
    private let value: ConduitCacheValue
    /// The identity body's size as charged to the cache's byte bound (exact when made at creation).
    let estimatedIdentityBytes: Int

    init(_ value: ConduitCacheValue, identity: [UInt8]) {
        state = Mutex(State(identity: identity))
        self.value = value
        estimatedIdentityBytes = identity.count
    }

    init(encoding value: ConduitCacheValue, estimatedIdentityBytes: Int) {
        state = Mutex(State())
        self.value = value
        self.estimatedIdentityBytes = estimatedIdentityBytes
    }

    /// The JSON body (encoded now if it was not yet).
    var identity: [UInt8] {
        state.withLock { s in Self.identity(&s, value) }
    }

    /// The gzip stream of the JSON body, compressed by `compress` on the first call (later calls return it).
    func gzip(_ compress: ([UInt8]) -> [UInt8]) -> [UInt8] {
        state.withLock { s in
            if let gzip = s.gzip { return gzip }
            let made = compress(Self.identity(&s, value))
            s.gzip = made
            return made
        }
    }

    /// Whether each body exists now (tests).
    var made: (identity: Bool, gzip: Bool) { state.withLock { ($0.identity != nil, $0.gzip != nil) } }

    /// Charged to the cache: the identity body, its array header, and a quarter of it for a gzip variant that may be
    /// made later (gzip level 1 makes Conduit JSON ≈ 5× smaller; bodies under the compression threshold never get
    /// one). An estimate fixed when the entry is stored, like the value's.
    var estimatedBytes: Int {
        let gzipReserve = estimatedIdentityBytes >= ResponseCompression.thresholdBytes ? estimatedIdentityBytes / 4 + 32 : 0
        return 64 + estimatedIdentityBytes + gzipReserve
    }

    private static func identity(_ s: inout State, _ value: ConduitCacheValue) -> [UInt8] {
        if let identity = s.identity { return identity }
        let made = value.encodedBody()
        s.identity = made
        return made
    }
}

/// A cached value (one case per kind of key). `indirect`: each value lives in one heap box, so the cache moves and
/// returns it with a single retain instead of one per string inside an article.
indirect enum ConduitCacheValue: Sendable {
    case article(Article)
    case page(ArticlePage)
    case comments([Comment])
    case profile(Profile)
    case tags([String])

    /// The response body of this read (what `ConduitAPI` would send for it).
    func encodedBody() -> [UInt8] {
        switch self {
        case .article(let a): ConduitEncoding.article(a)
        case .page(let p): ConduitEncoding.articles(p)
        case .comments(let list): ConduitEncoding.comments(list)
        case .profile(let p): ConduitEncoding.profile(p)
        case .tags(let names): ConduitEncoding.tags(names)
        }
    }

    /// The value with `articleID`'s favorites count set to `count` (the article itself, or its row in a page).
    func withFavoritesCount(_ count: Int64, articleID: Int64) -> ConduitCacheValue {
        switch self {
        case .article(var a) where a.id == articleID:
            a.favoritesCount = count
            return .article(a)
        case .page(var p):
            for i in p.articles.indices where p.articles[i].id == articleID { p.articles[i].favoritesCount = count }
            return .page(p)
        default:
            return self
        }
    }

    /// `list` (newest first: created_at, then id, descending — the store's order) with `comment` in its place, as an
    /// anonymous reader sees it (`following` false). Already there: unchanged.
    static func inserting(_ comment: Comment, into list: [Comment]) -> [Comment] {
        guard !list.contains(where: { $0.id == comment.id }) else { return list }
        var anonymous = comment
        anonymous.author.following = false
        var result = list
        let position = result.firstIndex { ($0.createdAt, $0.id) < (comment.createdAt, comment.id) } ?? result.count
        result.insert(anonymous, at: position)
        return result
    }

    /// Estimated heap footprint: UTF-8 bytes of every string plus fixed overheads for structs and arrays. An
    /// estimate (Swift's real layout differs per string), good enough to bound memory within a small factor.
    var estimatedBytes: Int {
        switch self {
        case .article(let a): return Self.bytes(a)
        case .page(let p): return 32 + p.articles.reduce(0) { $0 + Self.bytes($1) }
        case .comments(let list): return 32 + list.reduce(0) { $0 + 40 + Self.bytes($1.body) + Self.bytes($1.author) }
        case .profile(let p): return Self.bytes(p)
        case .tags(let names): return 32 + names.reduce(0) { $0 + Self.bytes($1) }
        }
    }

    /// A string: its 16-byte struct plus its UTF-8 bytes when too long to be stored inline (15 bytes).
    static func bytes(_ s: String) -> Int {
        let n = s.utf8.count
        return n > 15 ? 16 + 32 + n : 16
    }

    static func bytes(_ s: String?) -> Int { s.map(bytes) ?? 16 }

    static func bytes(_ p: Profile) -> Int {
        16 + bytes(p.username) + bytes(p.bio) + bytes(p.image)
    }

    static func bytes(_ a: Article) -> Int {
        64 + bytes(a.slug) + bytes(a.title) + bytes(a.description) + bytes(a.body)
            + 32 + a.tagList.reduce(0) { $0 + bytes($1) } + bytes(a.author)
    }
}

/// What cached values are computed from; a write invalidates the dependencies it changed.
enum ConduitCacheDependency: Hashable, Sendable {
    /// Any cached value showing this article (its entry by slug and every list page containing it).
    case article(id: Int64)
    /// Every list page (which articles match a filter and their count: changed by creating or deleting an article,
    /// or by changing an article's tags).
    case allLists
    /// Every list page filtered by `favorited` (changed by any favorite or unfavorite).
    case favoritedLists
}
