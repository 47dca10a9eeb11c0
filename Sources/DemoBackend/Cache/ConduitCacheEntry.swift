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

/// What the cache stores for a read: the value (for the store's callers and for in-place updates) and its JSON
/// body, encoded once when stored or updated, so that a hit is answered with these bytes on the event loop instead
/// of re-encoding the value on every hit.
struct CachedRead: Sendable {
    let value: ConduitCacheValue
    let body: [UInt8]

    init(_ value: ConduitCacheValue) {
        self.value = value
        body = value.encodedBody()
    }

    /// Estimated footprint: the value, and the body's bytes and array header.
    var estimatedBytes: Int { value.estimatedBytes + 32 + body.count }
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
