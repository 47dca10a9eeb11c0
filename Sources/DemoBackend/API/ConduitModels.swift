/// Domain values of the Conduit API, as the store returns them and the encoders write them.

/// A user row (the password hash never leaves the API layer).
struct UserRecord: Sendable, Equatable {
    var id: Int64
    var username: String
    var email: String
    var passwordHash: String
    var bio: String?
    var image: String?
}

/// A user as seen by a viewer.
struct Profile: Sendable, Equatable {
    var id: Int64
    var username: String
    var bio: String?
    var image: String?
    var following: Bool
}

struct Article: Sendable, Equatable {
    var id: Int64
    var slug: String
    var title: String
    var description: String
    /// Nil in list responses (spec 1.1.0 lists carry no body; it keeps a page of 20 small).
    var body: String?
    /// Sorted by name.
    var tagList: [String]
    /// Unix milliseconds.
    var createdAt: Int64
    var updatedAt: Int64
    var favorited: Bool
    var favoritesCount: Int64
    var author: Profile
}

struct ArticlePage: Sendable, Equatable {
    var articles: [Article]
    /// Total matching articles, not just this page.
    var articlesCount: Int64
}

struct Comment: Sendable, Equatable {
    var id: Int64
    var createdAt: Int64
    var updatedAt: Int64
    var body: String
    var author: Profile
}

/// Filters and page of `GET /api/articles` (and the feed).
struct ArticleQuery: Sendable, Equatable {
    var tag: String?
    var author: String?
    var favoritedBy: String?
    /// Only articles by users this user follows (the feed).
    var feedOf: Int64?
    var limit: Int = ArticleQuery.defaultLimit
    var offset: Int = 0

    /// Spec 1.1.0: limit defaults to 20.
    static let defaultLimit = 20
    /// The cap on `limit` under `paging=bounded` (sent back as `X-Limit-Cap`): a page is materialised in memory,
    /// so an uncapped one lets a single request pull the whole table (10^5 articles), which is what
    /// `paging=unbounded` does. 500 rather than 100 because profiles harvest slugs with `limit=500`.
    static let maxLimit = 500
}

struct NewArticle: Sendable, Equatable {
    var title: String
    var description: String
    var body: String
    var tagList: [String]
}

/// Fields of `PUT /api/articles/:slug`; nil = unchanged.
struct ArticleChanges: Sendable, Equatable {
    var title: String?
    var description: String?
    var body: String?
    var tagList: [String]?
}

/// Fields of `PUT /api/user`; nil = unchanged. `bio`/`image` may be set to null explicitly (`.some(nil)`).
struct UserChanges: Sendable, Equatable {
    var email: String?
    var username: String?
    var passwordHash: String?
    var bio: String??
    var image: String??
}
