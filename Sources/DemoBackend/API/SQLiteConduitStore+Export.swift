/// Which articles `GET /api/export` takes: every article of a tag, or of an author.
enum ExportFilter: Sendable, Equatable, Hashable {
    case tag(String)
    case author(String)
}

extension SQLiteConduitStore {
    /// Keyset pages in id order: `a.id > ?9 ORDER BY a.id LIMIT ?7` walks the primary key, so each batch costs the
    /// same however far into the export it is (an OFFSET would rescan everything before it).
    private static func exportSQL(_ filter: ExportFilter) -> String {
        let f: Filter = if case .tag = filter { .tag } else { .author }
        return """
            SELECT a.id, a.slug, a.title, a.description, a.body, a.created_at, a.updated_at,
                u.id, u.username, u.bio, u.image,
                (SELECT count(*) FROM favorites WHERE article_id = a.id),
                EXISTS(SELECT 1 FROM favorites WHERE user_id = ?1 AND article_id = a.id),
                EXISTS(SELECT 1 FROM follows WHERE follower_id = ?1 AND followee_id = a.author_id)
            FROM articles a JOIN users u ON u.id = a.author_id
            \(whereClause(f)) AND a.id > ?9
            ORDER BY a.id LIMIT ?7
            """
    }

    private static let exportByTagSQL = exportSQL(.tag(""))
    private static let exportByAuthorSQL = exportSQL(.author(""))

    func exportArticles(_ filter: ExportFilter, afterID: Int64, limit: Int, viewerID: Int64?,
                        _ context: inout RequestContext) throws -> [Article] {
        try context.withConnection(provider) { db in
            try db.read {
                var query = ArticleQuery()
                let sql: String
                switch filter {
                case .tag(let tag): query.tag = tag; sql = Self.exportByTagSQL
                case .author(let author): query.author = author; sql = Self.exportByAuthorSQL
                }
                let s = try db.prepare(sql)
                try Self.bindFilters(s, query, slug: nil, viewerID: viewerID)
                try s.bind(.integer(limit), at: 7)
                try s.bind(.int(afterID), at: 9)
                var articles = try s.rows(Self.readArticle)
                try Self.attachTags(&articles, db)
                return articles
            }
        }
    }
}
