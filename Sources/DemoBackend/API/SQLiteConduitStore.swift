import Glibc
import Knobs

/// `ConduitStore` over SQLite, with the BATCHED query strategy: a list request runs a fixed number of statements
/// whatever the page size — one count, one page (author, favorites count, and the viewer's favorited/following flags
/// as correlated subqueries of the same statement), one for the tags of the page's ids — inside one read
/// transaction (one WAL read lock for all of them; FACTS.md: 2.7× cheaper than autocommit per statement).
///
/// Pages come out of an index in order, so a top-20 page costs the same at 2,000 articles as at 100,000: the newest
/// articles overall or by one author walk `(created_at, id)` / `(author_id, created_at, id)` backwards; a tag's or a
/// user's favorites walk the link table's `(tag_id, article_id)` / `(user_id, article_id)` backwards — by article id,
/// which is the same order because `created_at` never decreases as ids grow (`createArticle` keeps it so). A feed
/// reads its followees' articles from the covering index `(author_id, created_at, id)` (no table row for any but the
/// page's) through SQLite's bounded top-N sorter: ≈ 0.2 ms for 21 popular followees with 12,834 articles, measured
/// at scale 1 — cheaper here than taking each followee's newest limit+offset (a correlated subquery, whose rowid
/// look-ups cost ≈ 0.7 ms for the same feed), though it grows with the followees' article counts.
///
/// The `query` knob's naive setting, "n+1", switches the list reads (article pages, comments) to one small query per
/// row and per field instead — see `SQLiteConduitStore+NPlusOne.swift`. The `counts` knob chooses whether
/// `articlesCount`, `favoritesCount` and the tag list's popularity order are counted per request ("computed") or read
/// from the counters the triggers keep ("maintained", see `MaintainedCounts`).
struct SQLiteConduitStore: ConduitStore {
    let provider: ConnectionProvider
    /// Wall-clock unix milliseconds for created/updated stamps (injectable for tests).
    let now: @Sendable () -> Int64
    /// The `query` knob (nil: always batched).
    let queryKnob: Knob?
    /// `queryKnob.rawValue` meaning "n+1" (its index among the choices), so the per-request check is one atomic load.
    private let nPlusOneRawValue: Int
    /// The `counts` knob (nil: always maintained).
    let countsKnob: Knob?
    /// `countsKnob.rawValue` meaning "computed".
    private let computedRawValue: Int

    init(provider: ConnectionProvider, queryKnob: Knob? = nil, countsKnob: Knob? = nil,
         now: @escaping @Sendable () -> Int64 = SQLiteConduitStore.wallClockMilliseconds) {
        self.provider = provider
        self.now = now
        self.queryKnob = queryKnob
        self.countsKnob = countsKnob
        nPlusOneRawValue = Self.rawValue(of: "n+1", in: queryKnob)
        computedRawValue = Self.rawValue(of: "computed", in: countsKnob)
    }

    private static func rawValue(of value: String, in knob: Knob?) -> Int {
        if case .choice(let values)? = knob?.definition.kind, let index = values.firstIndex(of: value) { return index }
        return -1
    }

    /// True when the `query` knob says "n+1".
    var usesNPlusOne: Bool { queryKnob.map { $0.rawValue == nPlusOneRawValue } ?? false }

    /// How this request reads counts (one relaxed atomic load of the `counts` knob).
    var counts: CountsMode { countsKnob.map { $0.rawValue == computedRawValue } == true ? .computed : .maintained }

    /// The `counts` knob's two settings; the raw value indexes the per-mode SQL tables.
    enum CountsMode: Int, CaseIterable {
        case computed, maintained
    }

    static func wallClockMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    // MARK: Users

    private static let userColumns = "id, username, email, password_hash, bio, image"

    private static func readUser(_ s: SQLiteStatement) -> UserRecord {
        UserRecord(id: s.int(0), username: s.text(1), email: s.text(2), passwordHash: s.text(3),
                   bio: s.optionalText(4), image: s.optionalText(5))
    }

    func user(id: Int64, _ context: inout RequestContext) throws -> UserRecord? {
        try context.withConnection(provider) { db in try Self.user(id: id, db) }
    }

    private static func user(id: Int64, _ db: SQLiteConnection) throws -> UserRecord? {
        let s = try db.prepare("SELECT \(userColumns) FROM users WHERE id = ?1")
        try s.bind(.int(id), at: 1)
        return try s.firstRow(readUser)
    }

    func user(email: String, _ context: inout RequestContext) throws -> UserRecord? {
        try context.withConnection(provider) { db in
            let s = try db.prepare("SELECT \(Self.userColumns) FROM users WHERE email = ?1")
            try s.bind(.text(email), at: 1)
            return try s.firstRow(Self.readUser)
        }
    }

    func createUser(username: String, email: String, passwordHash: String, _ context: inout RequestContext) throws -> UserRecord {
        try context.withConnection(provider) { db in
            try db.transaction {
                let s = try db.prepare("INSERT INTO users (username, email, password_hash) VALUES (?1, ?2, ?3)")
                try s.bind(.text(username), at: 1)
                try s.bind(.text(email), at: 2)
                try s.bind(.text(passwordHash), at: 3)
                do { try s.run() } catch let error as SQLiteError { throw Self.mapUnique(error) }
                return UserRecord(id: db.lastInsertRowID, username: username, email: email, passwordHash: passwordHash,
                                  bio: nil, image: nil)
            }
        }
    }

    func updateUser(id: Int64, _ changes: UserChanges, _ context: inout RequestContext) throws -> UserRecord {
        try context.withConnection(provider) { db in
            try db.transaction {
                // One fixed statement for any subset of fields: NULL parameters leave a column unchanged; bio/image
                // take a flag so they can also be cleared to NULL.
                let s = try db.prepare("""
                    UPDATE users SET email = coalesce(?1, email), username = coalesce(?2, username),
                        password_hash = coalesce(?3, password_hash),
                        bio = CASE WHEN ?4 THEN ?5 ELSE bio END, image = CASE WHEN ?6 THEN ?7 ELSE image END
                    WHERE id = ?8
                    """)
                try s.bind(.optionalText(changes.email), at: 1)
                try s.bind(.optionalText(changes.username), at: 2)
                try s.bind(.optionalText(changes.passwordHash), at: 3)
                try s.bind(.int(changes.bio == nil ? 0 : 1), at: 4)
                try s.bind(.optionalText(changes.bio ?? nil), at: 5)
                try s.bind(.int(changes.image == nil ? 0 : 1), at: 6)
                try s.bind(.optionalText(changes.image ?? nil), at: 7)
                try s.bind(.int(id), at: 8)
                do { try s.run() } catch let error as SQLiteError { throw Self.mapUnique(error) }
                guard let user = try Self.user(id: id, db) else { throw APIError.tokenInvalid }
                return user
            }
        }
    }

    /// "UNIQUE constraint failed: users.email" → 422 `email: has already been taken`.
    private static func mapUnique(_ error: SQLiteError) -> any Error {
        guard error.isUniqueViolation else { return error }
        if error.message.contains("users.email") { return APIError.taken("email") }
        if error.message.contains("users.username") { return APIError.taken("username") }
        return error
    }

    // MARK: Profiles

    func profile(username: String, viewerID: Int64?, _ context: inout RequestContext) throws -> Profile {
        try context.withConnection(provider) { db in try Self.profile(username: username, viewerID: viewerID, db) }
    }

    private static func profile(username: String, viewerID: Int64?, _ db: SQLiteConnection) throws -> Profile {
        let s = try db.prepare("""
            SELECT id, username, bio, image,
                EXISTS(SELECT 1 FROM follows WHERE follower_id = ?2 AND followee_id = users.id)
            FROM users WHERE username = ?1
            """)
        try s.bind(.text(username), at: 1)
        try s.bind(viewerID.map(SQLiteValue.int) ?? .null, at: 2)
        guard let p = try s.firstRow({ Profile(id: $0.int(0), username: $0.text(1), bio: $0.optionalText(2),
                                               image: $0.optionalText(3), following: $0.int(4) != 0) })
        else { throw APIError.profileNotFound }
        return p
    }

    func setFollowing(_ following: Bool, username: String, followerID: Int64, _ context: inout RequestContext) throws -> Profile {
        try context.withConnection(provider) { db in
            try db.transaction {
                let target = try Self.profile(username: username, viewerID: followerID, db)
                let s = try db.prepare(following
                    ? "INSERT OR IGNORE INTO follows (follower_id, followee_id) VALUES (?1, ?2)"
                    : "DELETE FROM follows WHERE follower_id = ?1 AND followee_id = ?2")
                try s.bind(.int(followerID), at: 1)
                try s.bind(.int(target.id), at: 2)
                try s.run()
                var result = target
                result.following = following
                return result
            }
        }
    }

    // MARK: Articles

    /// Filter bits of the list query; each combination has its own fixed SQL text (so the statement cache keeps
    /// one prepared statement per combination and nothing is built per request).
    struct Filter: OptionSet {
        let rawValue: Int
        static let tag = Filter(rawValue: 1)
        static let author = Filter(rawValue: 2)
        static let favorited = Filter(rawValue: 4)
        static let feed = Filter(rawValue: 8)
        /// One article by slug (body included, no count).
        static let slug = Filter(rawValue: 16)
    }

    /// Conditions in binding order: ?2 tag, ?3 author, ?4 favorited-by, ?5 feed-of, ?6 slug (?1 is the viewer).
    static func whereClause(_ f: Filter) -> String {
        var conditions: [String] = []
        if f.contains(.tag) {
            conditions.append("a.id IN (SELECT article_id FROM article_tags WHERE tag_id = (SELECT id FROM tags WHERE name = ?2))")
        }
        if f.contains(.author) { conditions.append("a.author_id = (SELECT id FROM users WHERE username = ?3)") }
        if f.contains(.favorited) {
            conditions.append("a.id IN (SELECT article_id FROM favorites WHERE user_id = (SELECT id FROM users WHERE username = ?4))")
        }
        if f.contains(.feed) { conditions.append("a.author_id IN (SELECT followee_id FROM follows WHERE follower_id = ?5)") }
        if f.contains(.slug) { conditions.append("a.slug = ?6") }
        return conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }

    /// The page's ids, newest first, read through an index in order (see the type's comment): a tag's or a user's
    /// favorites come straight from the link table by article id, so nothing sorts the tens of thousands of articles
    /// of a popular tag to find the newest 20.
    static func orderedPageIDsSQL(_ f: Filter) -> String {
        if f == .tag {
            return "SELECT article_id AS id FROM article_tags WHERE tag_id = (SELECT id FROM tags WHERE name = ?2) ORDER BY article_id DESC LIMIT ?7 OFFSET ?8"
        }
        if f == .favorited {
            return "SELECT article_id AS id FROM favorites WHERE user_id = (SELECT id FROM users WHERE username = ?4) ORDER BY article_id DESC LIMIT ?7 OFFSET ?8"
        }
        return "SELECT a.id FROM articles a\(whereClause(f)) ORDER BY a.created_at DESC, a.id DESC LIMIT ?7 OFFSET ?8"
    }

    /// The page query is a "late row lookup": the inner select finds the page's ids, and only those ≤ limit rows get
    /// the author join and the per-row subqueries. Indexed by `CountsMode` then filter bits.
    ///
    /// No outer ORDER BY: the ≤ limit rows are put newest first in Swift (`newestFirst`). SQLite's sorter for them
    /// allocated per row under load (`perf`, read mix with `cache=off`: its writes and reads ≈ 7% of the process
    /// together with the tags' sort below); the ids themselves still come from an index in order.
    static let pageSQL: [[String]] = CountsMode.allCases.map { mode in
        (0..<32).map { bits in
            let f = Filter(rawValue: bits)
            let favoritesCount = mode == .maintained ? "a.favorites_count" : "(SELECT count(*) FROM favorites WHERE article_id = a.id)"
            return """
                SELECT a.id, a.slug, a.title, a.description, \(f.contains(.slug) ? "a.body" : "NULL"), a.created_at, a.updated_at,
                    u.id, u.username, u.bio, u.image,
                    \(favoritesCount),
                    EXISTS(SELECT 1 FROM favorites WHERE user_id = ?1 AND article_id = a.id),
                    EXISTS(SELECT 1 FROM follows WHERE follower_id = ?1 AND followee_id = a.author_id)
                FROM (\(orderedPageIDsSQL(f))) page
                JOIN articles a ON a.id = page.id JOIN users u ON u.id = a.author_id
                """
        }
    }

    /// `articlesCount`, indexed by `CountsMode` then filter bits.
    ///
    /// Computed: with only a tag (or only a favorited-by) filter the link table alone answers (a covering index or
    /// primary-key range; foreign keys guarantee every link has its article), instead of looking up each article.
    /// Maintained: one counter row for no filter and for each single filter (a feed sums its followees' counters);
    /// combinations of filters (rare: no Conduit client sends them) are still counted.
    static let countSQL: [[String]] = CountsMode.allCases.map { mode in
        (0..<32).map { bits in
            let f = Filter(rawValue: bits)
            if mode == .maintained {
                switch f {
                case []: return "SELECT value FROM counters WHERE name = 'articles'"
                case .tag: return "SELECT coalesce((SELECT article_count FROM tags WHERE name = ?2), 0)"
                case .author: return "SELECT coalesce((SELECT article_count FROM users WHERE username = ?3), 0)"
                case .favorited: return "SELECT coalesce((SELECT favorite_count FROM users WHERE username = ?4), 0)"
                case .feed:
                    return "SELECT coalesce(sum(u.article_count), 0) FROM follows f JOIN users u ON u.id = f.followee_id WHERE f.follower_id = ?5"
                default: break
                }
            }
            if f == .tag { return "SELECT count(*) FROM article_tags WHERE tag_id = (SELECT id FROM tags WHERE name = ?2)" }
            if f == .favorited { return "SELECT count(*) FROM favorites WHERE user_id = (SELECT id FROM users WHERE username = ?4)" }
            return "SELECT count(*) FROM articles a" + whereClause(f)
        }
    }

    /// Unordered: each article's few tags are sorted in Swift (`attachTags`), not all the page's rows by SQLite's
    /// sorter (see `pageSQL`). The ids' array drives a join (one primary-key search per id) rather than an
    /// `IN (SELECT value FROM json_each(?1))`, which first copied the ids into a temporary b-tree (opened, filled and
    /// closed per request); the page's ids are distinct, so the join yields the same rows.
    static let tagsOfArticlesSQL = """
        SELECT at.article_id, t.name FROM json_each(?1) j
        JOIN article_tags at ON at.article_id = j.value JOIN tags t ON t.id = at.tag_id
        """

    /// The page order: newest first, ties by id (what the ids' indexes yield).
    static func newestFirst(_ a: Article, _ b: Article) -> Bool {
        a.createdAt != b.createdAt ? a.createdAt > b.createdAt : a.id > b.id
    }

    /// A tag list's order: by name, byte-wise (SQLite's BINARY collation, which `ORDER BY t.name` used).
    static func tagOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    static func readArticle(_ s: SQLiteStatement) -> Article {
        Article(id: s.int(0), slug: s.text(1), title: s.text(2), description: s.text(3), body: s.optionalText(4),
                tagList: [], createdAt: s.int(5), updatedAt: s.int(6), favorited: s.int(12) != 0,
                favoritesCount: s.int(11),
                author: Profile(id: s.int(7), username: s.text(8), bio: s.optionalText(9), image: s.optionalText(10),
                                following: s.int(13) != 0))
    }

    static func bindFilters(_ s: SQLiteStatement, _ query: ArticleQuery, slug: String?, viewerID: Int64?) throws {
        try s.bind(viewerID.map(SQLiteValue.int) ?? .null, at: 1)
        if let tag = query.tag { try s.bind(.text(tag), at: 2) }
        if let author = query.author { try s.bind(.text(author), at: 3) }
        if let favoritedBy = query.favoritedBy { try s.bind(.text(favoritedBy), at: 4) }
        if let feedOf = query.feedOf { try s.bind(.int(feedOf), at: 5) }
        if let slug { try s.bind(.text(slug), at: 6) }
    }

    static func filter(of query: ArticleQuery) -> Filter {
        var f: Filter = []
        if query.tag != nil { f.insert(.tag) }
        if query.author != nil { f.insert(.author) }
        if query.favoritedBy != nil { f.insert(.favorited) }
        if query.feedOf != nil { f.insert(.feed) }
        return f
    }

    func articles(_ query: ArticleQuery, viewerID: Int64?, _ context: inout RequestContext) throws -> ArticlePage {
        if usesNPlusOne { return try articlesNPlusOne(query, viewerID: viewerID, &context) }
        return try context.withConnection(provider) { db in
            try db.read {
                let f = Self.filter(of: query)
                let total = try Self.matchingCount(query, f, counts, db)

                let page = try db.prepare(Self.pageSQL[counts.rawValue][f.rawValue])
                try Self.bindFilters(page, query, slug: nil, viewerID: viewerID)
                try page.bind(.integer(query.limit), at: 7)
                try page.bind(.integer(query.offset), at: 8)
                var articles = try page.rows(Self.readArticle)
                articles.sort(by: Self.newestFirst)
                try Self.attachTags(&articles, db)
                return ArticlePage(articles: articles, articlesCount: total)
            }
        }
    }

    /// Count SQL has no ?1 (viewer) and numbered parameters only for its filters: SQLite numbers parameters by the
    /// highest ?N present, so binding beyond that is a range error. Bind each filter only if present.
    /// `articlesCount`: how many articles match the query's filters (the same statement for both query strategies).
    static func matchingCount(_ query: ArticleQuery, _ filter: Filter, _ mode: CountsMode,
                              _ db: SQLiteConnection) throws -> Int64 {
        let count = try db.prepare(countSQL[mode.rawValue][filter.rawValue])
        // The count statement references only some parameters; bind only those it has.
        try bindCountFilters(count, query)
        return try count.firstRow { $0.int(0) } ?? 0
    }

    static func bindCountFilters(_ s: SQLiteStatement, _ query: ArticleQuery) throws {
        if let tag = query.tag { try s.bind(.text(tag), at: 2) }
        if let author = query.author { try s.bind(.text(author), at: 3) }
        if let favoritedBy = query.favoritedBy { try s.bind(.text(favoritedBy), at: 4) }
        if let feedOf = query.feedOf { try s.bind(.int(feedOf), at: 5) }
    }

    /// One statement for the tags of all `articles` (ids passed as a JSON array to `json_each`, so the SQL text is
    /// the same for any page size).
    static func attachTags(_ articles: inout [Article], _ db: SQLiteConnection) throws {
        guard !articles.isEmpty else { return }
        var ids = "["
        for (i, a) in articles.enumerated() {
            if i > 0 { ids += "," }
            ids += String(a.id)
        }
        ids += "]"
        let s = try db.prepare(tagsOfArticlesSQL)
        try s.bind(.text(ids), at: 1)
        // Rows come grouped by article in the array's order (the join reads the ids in turn), so the article of
        // the previous row is checked first; any other order still finds its article.
        var current = 0
        try s.forEachRow { row in
            let id = row.int(0)
            if articles[current].id != id {
                guard let i = articles.firstIndex(where: { $0.id == id }) else { return }
                current = i
            }
            articles[current].tagList.append(row.text(1))
        }
        for i in articles.indices where articles[i].tagList.count > 1 { articles[i].tagList.sort(by: tagOrder) }
    }

    func article(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> Article {
        let counts = self.counts
        return try context.withConnection(provider) { db in
            try db.read { try Self.article(slug: slug, viewerID: viewerID, counts: counts, db) }
        }
    }

    /// Inside a write, the counters are exact too (triggers ran in this transaction): writes read them.
    private static func article(slug: String, viewerID: Int64?, counts: CountsMode = .maintained,
                                _ db: SQLiteConnection) throws -> Article {
        let s = try db.prepare(pageSQL[counts.rawValue][Filter.slug.rawValue])
        try bindFilters(s, ArticleQuery(), slug: slug, viewerID: viewerID)
        try s.bind(.int(1), at: 7)
        try s.bind(.int(0), at: 8)
        guard let found = try s.firstRow(readArticle) else { throw APIError.articleNotFound }
        var one = [found]
        try attachTags(&one, db)
        return one[0]
    }

    /// The id and author of the article `slug` (404 if none).
    static func articleOwner(slug: String, _ db: SQLiteConnection) throws -> (id: Int64, authorID: Int64) {
        let s = try db.prepare("SELECT id, author_id FROM articles WHERE slug = ?1")
        try s.bind(.text(slug), at: 1)
        guard let row = try s.firstRow({ (id: $0.int(0), authorID: $0.int(1)) }) else { throw APIError.articleNotFound }
        return row
    }

    func createArticle(_ article: NewArticle, authorID: Int64, _ context: inout RequestContext) throws -> Article {
        let stamp = now()
        return try context.withConnection(provider) { db in
            try db.transaction {
                // The slug carries the id (unique by construction); inside BEGIN IMMEDIATE nobody else can take it.
                // created_at never goes below the newest article's (a clock stepping back): pages read newest-first
                // by id (the link tables' order) and by created_at (the articles' indexes) must agree.
                let newest = try db.prepare("SELECT id, created_at FROM articles ORDER BY id DESC LIMIT 1")
                let (last, lastCreated) = try newest.firstRow { ($0.int(0), $0.int(1)) } ?? (0, Int64.min)
                let id = last + 1
                let created = max(stamp, lastCreated)
                let slug = Slug.make(title: article.title, id: id)
                let insert = try db.prepare("""
                    INSERT INTO articles (id, slug, title, description, body, author_id, created_at, updated_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                    """)
                try insert.bind(.int(id), at: 1)
                try insert.bind(.text(slug), at: 2)
                try insert.bind(.text(article.title), at: 3)
                try insert.bind(.text(article.description), at: 4)
                try insert.bind(.text(article.body), at: 5)
                try insert.bind(.int(authorID), at: 6)
                try insert.bind(.int(created), at: 7)
                try insert.run()
                try Self.setTags(article.tagList, articleID: id, db)
                return try Self.article(slug: slug, viewerID: authorID, db)
            }
        }
    }

    private static func setTags(_ tags: [String], articleID: Int64, _ db: SQLiteConnection) throws {
        for tag in tags {
            let addTag = try db.prepare("INSERT OR IGNORE INTO tags (name) VALUES (?1)")
            try addTag.bind(.text(tag), at: 1)
            try addTag.run()
            let link = try db.prepare("INSERT OR IGNORE INTO article_tags (article_id, tag_id) SELECT ?1, id FROM tags WHERE name = ?2")
            try link.bind(.int(articleID), at: 1)
            try link.bind(.text(tag), at: 2)
            try link.run()
        }
    }

    func updateArticle(slug: String, _ changes: ArticleChanges, editorID: Int64, _ context: inout RequestContext) throws -> Article {
        let stamp = now()
        return try context.withConnection(provider) { db in
            try db.transaction {
                let owner = try Self.articleOwner(slug: slug, db)
                guard owner.authorID == editorID else { throw APIError.forbidden("article") }
                // A new title gives a new slug (same id suffix), as RealWorld implementations do.
                let newSlug = changes.title.map { Slug.make(title: $0, id: owner.id) } ?? slug
                let s = try db.prepare("""
                    UPDATE articles SET slug = ?1, title = coalesce(?2, title), description = coalesce(?3, description),
                        body = coalesce(?4, body), updated_at = ?5 WHERE id = ?6
                    """)
                try s.bind(.text(newSlug), at: 1)
                try s.bind(.optionalText(changes.title), at: 2)
                try s.bind(.optionalText(changes.description), at: 3)
                try s.bind(.optionalText(changes.body), at: 4)
                try s.bind(.int(stamp), at: 5)
                try s.bind(.int(owner.id), at: 6)
                try s.run()
                if let tags = changes.tagList {
                    let clear = try db.prepare("DELETE FROM article_tags WHERE article_id = ?1")
                    try clear.bind(.int(owner.id), at: 1)
                    try clear.run()
                    try Self.setTags(tags, articleID: owner.id, db)
                }
                return try Self.article(slug: newSlug, viewerID: editorID, db)
            }
        }
    }

    func deleteArticle(slug: String, editorID: Int64, _ context: inout RequestContext) throws {
        try context.withConnection(provider) { db in
            try db.transaction {
                let owner = try Self.articleOwner(slug: slug, db)
                guard owner.authorID == editorID else { throw APIError.forbidden("article") }
                // Tags, favorites and comments go with it (ON DELETE CASCADE, foreign_keys=ON).
                let s = try db.prepare("DELETE FROM articles WHERE id = ?1")
                try s.bind(.int(owner.id), at: 1)
                try s.run()
            }
        }
    }

    func setFavorite(_ favorite: Bool, slug: String, userID: Int64, _ context: inout RequestContext) throws -> Article {
        try context.withConnection(provider) { db in
            try db.transaction {
                let owner = try Self.articleOwner(slug: slug, db)
                let s = try db.prepare(favorite
                    ? "INSERT OR IGNORE INTO favorites (user_id, article_id) VALUES (?1, ?2)"
                    : "DELETE FROM favorites WHERE user_id = ?1 AND article_id = ?2")
                try s.bind(.int(userID), at: 1)
                try s.bind(.int(owner.id), at: 2)
                try s.run()
                return try Self.article(slug: slug, viewerID: userID, db)
            }
        }
    }

    // MARK: Comments

    private static let commentSQL = """
        SELECT c.id, c.created_at, c.updated_at, c.body, u.id, u.username, u.bio, u.image,
            EXISTS(SELECT 1 FROM follows WHERE follower_id = ?1 AND followee_id = u.id)
        FROM comments c JOIN users u ON u.id = c.author_id
        """

    private static func readComment(_ s: SQLiteStatement) -> Comment {
        Comment(id: s.int(0), createdAt: s.int(1), updatedAt: s.int(2), body: s.text(3),
                author: Profile(id: s.int(4), username: s.text(5), bio: s.optionalText(6), image: s.optionalText(7),
                                following: s.int(8) != 0))
    }

    func comments(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> [Comment] {
        if usesNPlusOne { return try commentsNPlusOne(slug: slug, viewerID: viewerID, &context) }
        return try context.withConnection(provider) { db in
            try db.read {
                let owner = try Self.articleOwner(slug: slug, db)
                // Newest first, like the article lists.
                let s = try db.prepare(Self.commentSQL + " WHERE c.article_id = ?2 ORDER BY c.created_at DESC, c.id DESC")
                try s.bind(viewerID.map(SQLiteValue.int) ?? .null, at: 1)
                try s.bind(.int(owner.id), at: 2)
                return try s.rows(Self.readComment)
            }
        }
    }

    func addComment(slug: String, body: String, authorID: Int64, _ context: inout RequestContext) throws -> Comment {
        let stamp = now()
        return try context.withConnection(provider) { db in
            try db.transaction {
                let owner = try Self.articleOwner(slug: slug, db)
                let insert = try db.prepare("""
                    INSERT INTO comments (article_id, author_id, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
                    """)
                try insert.bind(.int(owner.id), at: 1)
                try insert.bind(.int(authorID), at: 2)
                try insert.bind(.text(body), at: 3)
                try insert.bind(.int(stamp), at: 4)
                try insert.run()
                let id = db.lastInsertRowID
                let s = try db.prepare(Self.commentSQL + " WHERE c.id = ?2")
                try s.bind(.int(authorID), at: 1)
                try s.bind(.int(id), at: 2)
                guard let comment = try s.firstRow(Self.readComment) else { throw APIError.commentNotFound }
                return comment
            }
        }
    }

    func deleteComment(slug: String, commentID: Int64, editorID: Int64, _ context: inout RequestContext) throws {
        try context.withConnection(provider) { db in
            try db.transaction {
                let owner = try Self.articleOwner(slug: slug, db)
                let find = try db.prepare("SELECT author_id FROM comments WHERE id = ?1 AND article_id = ?2")
                try find.bind(.int(commentID), at: 1)
                try find.bind(.int(owner.id), at: 2)
                guard let author = try find.firstRow({ $0.int(0) }) else { throw APIError.commentNotFound }
                guard author == editorID else { throw APIError.forbidden("comment") }
                let s = try db.prepare("DELETE FROM comments WHERE id = ?1")
                try s.bind(.int(commentID), at: 1)
                try s.run()
            }
        }
    }

    // MARK: Tags

    /// The spec says "all tags": with 500+ tags we return them all (no paging in spec 1.1.0), most used first, so a
    /// client showing the first N shows the popular ones. Counting usage is an aggregate over all of `article_tags`
    /// (≈350,000 rows at scale 1; ≈75 ms per request measured on this box): the honest cost of this endpoint, and what the `cache` knob is for.
    ///
    /// With maintained counts the popularity is a column: `idx_tags_popularity` yields the tags in order.
    func tags(_ context: inout RequestContext) throws -> [String] {
        let sql = Self.tagsSQL[counts.rawValue]
        return try context.withConnection(provider) { db in try db.prepare(sql).rows { $0.text(0) } }
    }

    static let tagsSQL: [String] = CountsMode.allCases.map { mode in
        switch mode {
        case .computed:
            return """
                SELECT t.name FROM tags t
                LEFT JOIN (SELECT tag_id, count(*) AS uses FROM article_tags GROUP BY tag_id) c ON c.tag_id = t.id
                ORDER BY coalesce(c.uses, 0) DESC, t.name
                """
        case .maintained:
            return "SELECT name FROM tags ORDER BY article_count DESC, name"
        }
    }
}

/// URL slugs from titles: lowercase ASCII letters and digits, other runs become one "-", plus "-<id>" so slugs are
/// unique without a lookup ("How to train your dragon" → "how-to-train-your-dragon-123").
enum Slug {
    static let maxTitlePart = 80

    static func make(title: String, id: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(min(title.utf8.count, maxTitlePart) + 21)
        var pendingDash = false
        for b in title.utf8 {
            if out.count >= maxTitlePart { break }
            let lower = (b &- 65) < 26 ? b | 0x20 : b
            if (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || (lower >= UInt8(ascii: "0") && lower <= UInt8(ascii: "9")) {
                if pendingDash && !out.isEmpty { out.append(UInt8(ascii: "-")) }
                pendingDash = false
                out.append(lower)
            } else {
                pendingDash = true
            }
        }
        if out.isEmpty { out.append(contentsOf: "article".utf8) }
        out.append(UInt8(ascii: "-"))
        out.append(contentsOf: String(id).utf8)
        return String(decoding: out, as: UTF8.self)
    }
}
