/// The secondary indexes behind the `indexes` knob: on = all of these, off = only primary keys and UNIQUE constraints.
///
/// A freshly seeded database has them all (the default experience is fast); the knob drops them to show the naive
/// path and creates them again live. Each index is built in its own short transaction: in WAL mode readers keep
/// being served meanwhile, writers wait (`busy_timeout`) for at most one index build. Prepared statements on other
/// connections re-prepare themselves on the schema change (`sqlite3_prepare_v3`), so they pick the index up.
public enum SecondaryIndexes {
    /// Name and `CREATE INDEX` statement of each index, cheapest-to-build last is not guaranteed; order is stable.
    public static let all: [(name: String, sql: String)] = [
        ("idx_article_tags_tag", "CREATE INDEX IF NOT EXISTS idx_article_tags_tag ON article_tags (tag_id, article_id)"),
        ("idx_articles_author", "CREATE INDEX IF NOT EXISTS idx_articles_author ON articles (author_id, created_at)"),
        ("idx_articles_created", "CREATE INDEX IF NOT EXISTS idx_articles_created ON articles (created_at)"),
        ("idx_favorites_article", "CREATE INDEX IF NOT EXISTS idx_favorites_article ON favorites (article_id)"),
        ("idx_follows_followee", "CREATE INDEX IF NOT EXISTS idx_follows_followee ON follows (followee_id)"),
        ("idx_comments_article", "CREATE INDEX IF NOT EXISTS idx_comments_article ON comments (article_id, created_at)"),
        // Tag list by popularity (the maintained counts): read in order, no sort.
        ("idx_tags_popularity", "CREATE INDEX IF NOT EXISTS idx_tags_popularity ON tags (article_count DESC, name)"),
    ]

    /// Rows sampled per index by `ANALYZE` (`PRAGMA analysis_limit`): approximate statistics in milliseconds
    /// instead of a full scan of each index.
    public static let analysisLimit = 2_000

    /// Creates the missing indexes, one transaction each.
    ///
    /// - Parameters:
    ///   - analyze: also refresh the planner statistics of each new index (`ANALYZE <index>`, sampled) so the planner
    ///     weighs it like the others (default true; the seeder analyzes everything once at the end instead).
    ///   - progress: called after each index with (done, total); total is `all.count`.
    public static func create(on connection: SQLiteConnection, analyze: Bool = true,
                              progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws {
        let existing = try presentNames(on: connection)
        if analyze { try connection.execute("PRAGMA analysis_limit=\(analysisLimit)") }
        for (offset, index) in all.enumerated() {
            if !existing.contains(index.name) {
                try connection.transaction {
                    try connection.execute(index.sql)
                    if analyze { try connection.execute("ANALYZE \(index.name)") }
                }
            }
            progress(offset + 1, all.count)
        }
    }

    /// Drops all secondary indexes (those absent are skipped), one transaction each.
    public static func drop(on connection: SQLiteConnection) throws {
        for index in all {
            try connection.transaction {
                try connection.execute("DROP INDEX IF EXISTS \(index.name)")
            }
        }
    }

    /// True when every secondary index exists (false on any error reading the schema).
    public static func present(on connection: SQLiteConnection) -> Bool {
        guard let names = try? presentNames(on: connection) else { return false }
        return all.allSatisfy { names.contains($0.name) }
    }

    /// The names of the secondary indexes that exist now.
    public static func presentNames(on connection: SQLiteConnection) throws -> Set<String> {
        let statement = try connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'idx\\_%' ESCAPE '\\'")
        return Set(try statement.rows { $0.text(0) })
    }
}
