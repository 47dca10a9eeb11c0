/// The naive setting of the `query` knob: list reads as the classic ORM "N+1" pattern. One query finds the page's
/// ids, then every article costs its own queries — the row, its author, its favorites count, its tags, and for a
/// logged-in viewer the favorited and following flags — so a page of 20 runs ≈ 80–120 statements instead of 3.
/// And like the typical ORM code it imitates, each statement runs in autocommit (its own implicit transaction, so
/// its own WAL read-lock round: FACTS.md measured that at 2.7× per statement) rather than in one read transaction.
/// Real work, same results as the batched path when nothing writes meanwhile (the tests compare them); without a
/// shared snapshot, a concurrent write can make the count and the page disagree — part of what "naive" means.
extension SQLiteConduitStore {
    private static let pageIDsSQL: [String] = (0..<32).map { bits in
        "SELECT a.id FROM articles a" + whereClause(Filter(rawValue: bits)) + " ORDER BY a.created_at DESC, a.id DESC LIMIT ?7 OFFSET ?8"
    }

    func articlesNPlusOne(_ query: ArticleQuery, viewerID: Int64?, _ context: inout RequestContext) throws -> ArticlePage {
        try context.withConnection(provider) { db in
            do {
                let f = Self.filter(of: query)
                let total = try Self.matchingCount(query, f, counts, db)

                let page = try db.prepare(Self.pageIDsSQL[f.rawValue])
                try Self.bindFilters(page, query, slug: nil, viewerID: viewerID)
                try page.bind(.integer(query.limit), at: 7)
                try page.bind(.integer(query.offset), at: 8)
                let ids = try page.rows { $0.int(0) }
                var articles: [Article] = []
                articles.reserveCapacity(ids.count)
                for id in ids {
                    if let article = try Self.articleOneByOne(id: id, viewerID: viewerID, counts, db) { articles.append(article) }
                }
                return ArticlePage(articles: articles, articlesCount: total)
            }
        }
    }

    /// One article (list form: no body) assembled from one query per piece.
    private static func articleOneByOne(id: Int64, viewerID: Int64?, _ counts: CountsMode,
                                        _ db: SQLiteConnection) throws -> Article? {
        let row = try db.prepare("SELECT slug, title, description, author_id, created_at, updated_at FROM articles WHERE id = ?1")
        try row.bind(.int(id), at: 1)
        guard var article = try row.firstRow({
            Article(id: id, slug: $0.text(0), title: $0.text(1), description: $0.text(2), body: nil, tagList: [],
                    createdAt: $0.int(4), updatedAt: $0.int(5), favorited: false, favoritesCount: 0,
                    author: Profile(id: $0.int(3), username: "", bio: nil, image: nil, following: false))
        }) else { return nil }
        article.author = try profileOneByOne(id: article.author.id, viewerID: viewerID, db)

        let favorites = try db.prepare(counts == .maintained
            ? "SELECT favorites_count FROM articles WHERE id = ?1" : "SELECT count(*) FROM favorites WHERE article_id = ?1")
        try favorites.bind(.int(id), at: 1)
        article.favoritesCount = try favorites.firstRow { $0.int(0) } ?? 0

        if let viewerID {
            let favorited = try db.prepare("SELECT 1 FROM favorites WHERE user_id = ?1 AND article_id = ?2")
            try favorited.bind(.int(viewerID), at: 1)
            try favorited.bind(.int(id), at: 2)
            article.favorited = try favorited.firstRow { _ in true } ?? false
        }

        let tags = try db.prepare("""
            SELECT t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = ?1 ORDER BY t.name
            """)
        try tags.bind(.int(id), at: 1)
        article.tagList = try tags.rows { $0.text(0) }
        return article
    }

    /// A user's profile: one query for the user, one more for the viewer's following flag.
    private static func profileOneByOne(id: Int64, viewerID: Int64?, _ db: SQLiteConnection) throws -> Profile {
        let user = try db.prepare("SELECT username, bio, image FROM users WHERE id = ?1")
        try user.bind(.int(id), at: 1)
        var profile = try user.firstRow {
            Profile(id: id, username: $0.text(0), bio: $0.optionalText(1), image: $0.optionalText(2), following: false)
        } ?? Profile(id: id, username: "", bio: nil, image: nil, following: false)
        if let viewerID {
            let follows = try db.prepare("SELECT 1 FROM follows WHERE follower_id = ?1 AND followee_id = ?2")
            try follows.bind(.int(viewerID), at: 1)
            try follows.bind(.int(id), at: 2)
            profile.following = try follows.firstRow { _ in true } ?? false
        }
        return profile
    }

    func commentsNPlusOne(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> [Comment] {
        try context.withConnection(provider) { db in
            do {
                let owner = try Self.articleOwner(slug: slug, db)
                let s = try db.prepare("""
                    SELECT id, created_at, updated_at, body, author_id FROM comments WHERE article_id = ?1
                    ORDER BY created_at DESC, id DESC
                    """)
                try s.bind(.int(owner.id), at: 1)
                let rows = try s.rows { ($0.int(0), $0.int(1), $0.int(2), $0.text(3), $0.int(4)) }
                return try rows.map { id, created, updated, body, authorID in
                    Comment(id: id, createdAt: created, updatedAt: updated, body: body,
                            author: try Self.profileOneByOne(id: authorID, viewerID: viewerID, db))
                }
            }
        }
    }
}
