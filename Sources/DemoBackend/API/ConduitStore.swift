/// The domain operations of the Conduit API, between the routes and SQL.
///
/// Routes only talk to this protocol, so a caching decorator (the `cache` knob) and an n+1 vs batched query strategy
/// (the `query` knob) can slot in without touching a handler. Methods throw `APIError` for domain failures
/// (not found, forbidden, taken) and storage errors otherwise.
protocol ConduitStore: Sendable {
    func user(id: Int64, _ context: inout RequestContext) throws -> UserRecord?
    func user(email: String, _ context: inout RequestContext) throws -> UserRecord?
    /// Throws `APIError` "has already been taken" for a duplicate username or email.
    func createUser(username: String, email: String, passwordHash: String, _ context: inout RequestContext) throws -> UserRecord
    func updateUser(id: Int64, _ changes: UserChanges, _ context: inout RequestContext) throws -> UserRecord

    func profile(username: String, viewerID: Int64?, _ context: inout RequestContext) throws -> Profile
    func setFollowing(_ following: Bool, username: String, followerID: Int64, _ context: inout RequestContext) throws -> Profile

    func articles(_ query: ArticleQuery, viewerID: Int64?, _ context: inout RequestContext) throws -> ArticlePage
    func article(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> Article
    func createArticle(_ article: NewArticle, authorID: Int64, _ context: inout RequestContext) throws -> Article
    func updateArticle(slug: String, _ changes: ArticleChanges, editorID: Int64, _ context: inout RequestContext) throws -> Article
    func deleteArticle(slug: String, editorID: Int64, _ context: inout RequestContext) throws
    func setFavorite(_ favorite: Bool, slug: String, userID: Int64, _ context: inout RequestContext) throws -> Article

    func comments(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> [Comment]
    func addComment(slug: String, body: String, authorID: Int64, _ context: inout RequestContext) throws -> Comment
    func deleteComment(slug: String, commentID: Int64, editorID: Int64, _ context: inout RequestContext) throws

    /// All tag names, most used first.
    func tags(_ context: inout RequestContext) throws -> [String]

    /// The encoded bodies (JSON and its gzip variant) of the anonymous read `key` if a cache holds it now (a hit),
    /// else nil — without loading anything. Default nil: only the caching decorator has bodies.
    func cachedBodies(for key: ConduitCacheKey) -> CachedBodies?

    /// `GET /api/export`: up to `limit` articles (with bodies) of a tag or an author with ids above `afterID`, in id
    /// order: a keyset cursor, so a streamed export reads one short batch at a time.
    func exportArticles(_ filter: ExportFilter, afterID: Int64, limit: Int, viewerID: Int64?,
                        _ context: inout RequestContext) throws -> [Article]
}

extension ConduitStore {
    func cachedBodies(for key: ConduitCacheKey) -> CachedBodies? { nil }
}
