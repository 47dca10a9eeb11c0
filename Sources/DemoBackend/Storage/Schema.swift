/// The demo database schema (RealWorld "Conduit"), version 2.
///
/// Only primary keys and UNIQUE constraints live here; the secondary indexes are the `indexes` knob
/// (`SecondaryIndexes`). Times are unix milliseconds. The `*_count` columns and the `counters` table are counts kept
/// up to date on write by triggers (`MaintainedCounts`, read when the `counts` knob says "maintained").
/// Version 2 added them; a version-1 database is migrated in place when it is opened (`MaintainedCounts.migrate`).
public enum Schema {
    /// Stored in `meta` as `schema_version`; bump it when a table changes.
    public static let version = 2
    /// Stored in `meta` as `app`: a database without it is not ours.
    public static let appName = "dyno-demo"

    /// The `CREATE TABLE` statements, in dependency order.
    public static let tables: [String] = [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """
        CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, email TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL, bio TEXT, image TEXT,
            article_count INTEGER NOT NULL DEFAULT 0, favorite_count INTEGER NOT NULL DEFAULT 0)
        """,
        """
        CREATE TABLE articles (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
            description TEXT NOT NULL, body TEXT NOT NULL, author_id INTEGER NOT NULL REFERENCES users(id),
            created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, favorites_count INTEGER NOT NULL DEFAULT 0)
        """,
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, article_count INTEGER NOT NULL DEFAULT 0)",
        """
        CREATE TABLE article_tags (article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id), PRIMARY KEY (article_id, tag_id)) WITHOUT ROWID
        """,
        """
        CREATE TABLE favorites (user_id INTEGER NOT NULL REFERENCES users(id), article_id INTEGER NOT NULL
            REFERENCES articles(id) ON DELETE CASCADE, PRIMARY KEY (user_id, article_id)) WITHOUT ROWID
        """,
        """
        CREATE TABLE follows (follower_id INTEGER NOT NULL REFERENCES users(id), followee_id INTEGER NOT NULL
            REFERENCES users(id), PRIMARY KEY (follower_id, followee_id)) WITHOUT ROWID
        """,
        """
        CREATE TABLE comments (id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            author_id INTEGER NOT NULL REFERENCES users(id), body TEXT NOT NULL, created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL)
        """,
        MaintainedCounts.countersTable,
    ]

    /// Data tables (all but `meta`), in dependency order.
    public static let dataTables = ["users", "articles", "tags", "article_tags", "favorites", "follows", "comments"]

    /// Creates all tables (the database must be empty).
    public static func create(on connection: SQLiteConnection) throws {
        for sql in tables {
            try connection.execute(sql)
        }
    }
}
