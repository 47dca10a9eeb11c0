/// Counts kept up to date on write (a "counter cache"): each tag's and each author's article count, each article's
/// favorites count, each user's favorite count, and the total number of articles.
///
/// Triggers maintain them inside the writing statement's own transaction, so a reader never sees a count that
/// disagrees with the rows, whichever code path (or a cascade delete) changed them. They are maintained whatever the
/// `counts` knob says: the knob only chooses how reads get a count — `computed` counts the rows per request (cost
/// grows with the data: ≈ 40,000 index entries for a popular tag's `articlesCount`, a GROUP BY over 350,000 links for
/// `GET /api/tags`), `maintained` reads the counter (one row). Keeping them always costs every favorite and tag link
/// one extra row update, and means flipping the knob needs no rebuild.
public enum MaintainedCounts {
    /// Named totals (`articles`: all articles) that have no natural row of their own.
    static let countersTable = "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID"

    /// Counter columns added by schema version 2 (`ALTER TABLE` when migrating from version 1).
    static let columns: [(table: String, definition: String)] = [
        ("users", "article_count INTEGER NOT NULL DEFAULT 0"),
        ("users", "favorite_count INTEGER NOT NULL DEFAULT 0"),
        ("articles", "favorites_count INTEGER NOT NULL DEFAULT 0"),
        ("tags", "article_count INTEGER NOT NULL DEFAULT 0"),
    ]

    /// The triggers, one per table and direction. `UPDATE OF author_id`: the API never moves an article to another
    /// author, but a count must not depend on that.
    static let triggers: [String] = [
        """
        CREATE TRIGGER IF NOT EXISTS count_articles_insert AFTER INSERT ON articles BEGIN
            UPDATE users SET article_count = article_count + 1 WHERE id = NEW.author_id;
            UPDATE counters SET value = value + 1 WHERE name = 'articles';
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS count_articles_delete AFTER DELETE ON articles BEGIN
            UPDATE users SET article_count = article_count - 1 WHERE id = OLD.author_id;
            UPDATE counters SET value = value - 1 WHERE name = 'articles';
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS count_articles_author AFTER UPDATE OF author_id ON articles
        WHEN OLD.author_id IS NOT NEW.author_id BEGIN
            UPDATE users SET article_count = article_count - 1 WHERE id = OLD.author_id;
            UPDATE users SET article_count = article_count + 1 WHERE id = NEW.author_id;
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS count_article_tags_insert AFTER INSERT ON article_tags BEGIN
            UPDATE tags SET article_count = article_count + 1 WHERE id = NEW.tag_id;
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS count_article_tags_delete AFTER DELETE ON article_tags BEGIN
            UPDATE tags SET article_count = article_count - 1 WHERE id = OLD.tag_id;
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS count_favorites_insert AFTER INSERT ON favorites BEGIN
            UPDATE articles SET favorites_count = favorites_count + 1 WHERE id = NEW.article_id;
            UPDATE users SET favorite_count = favorite_count + 1 WHERE id = NEW.user_id;
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS count_favorites_delete AFTER DELETE ON favorites BEGIN
            UPDATE articles SET favorites_count = favorites_count - 1 WHERE id = OLD.article_id;
            UPDATE users SET favorite_count = favorite_count - 1 WHERE id = OLD.user_id;
        END
        """,
    ]

    /// Sets every counter from the rows (one aggregate per counter), then creates the triggers that keep them. Run
    /// inside a write transaction, after bulk inserts (a trigger per seeded row would double the seeding time), on
    /// counter columns still at their default 0 (rows with nothing to count keep it).
    static func install(on db: SQLiteConnection) throws {
        try db.execute("""
            INSERT OR REPLACE INTO counters (name, value) VALUES ('articles', (SELECT count(*) FROM articles));
            UPDATE tags SET article_count = c.n FROM (SELECT tag_id, count(*) AS n FROM article_tags GROUP BY tag_id) c
                WHERE c.tag_id = tags.id;
            UPDATE users SET article_count = c.n FROM (SELECT author_id, count(*) AS n FROM articles GROUP BY author_id) c
                WHERE c.author_id = users.id;
            UPDATE users SET favorite_count = c.n FROM (SELECT user_id, count(*) AS n FROM favorites GROUP BY user_id) c
                WHERE c.user_id = users.id;
            UPDATE articles SET favorites_count = c.n
                FROM (SELECT article_id, count(*) AS n FROM favorites GROUP BY article_id) c
                WHERE c.article_id = articles.id
            """)
        for trigger in triggers { try db.execute(trigger) }
    }

    /// Brings a schema-1 database to schema 2 in place: adds the counter columns and table, fills them, creates the
    /// triggers and records the new version — one write transaction, so a crash leaves version 1 intact and two
    /// processes opening it at once migrate it once (the second finds version 2 inside its own transaction).
    /// Returns whether this call migrated.
    static func migrateFromVersion1(on db: SQLiteConnection) throws -> Bool {
        try db.transaction {
            let version = try db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").firstRow { $0.text(0) }
            guard version == "1" else { return false }
            for column in columns {
                try db.execute("ALTER TABLE \(column.table) ADD COLUMN \(column.definition)")
            }
            try db.execute(countersTable)
            try install(on: db)
            try db.execute("UPDATE meta SET value = '\(Schema.version)' WHERE key = 'schema_version'")
            return true
        }
    }
}
