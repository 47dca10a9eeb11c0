import CSQLite

/// One SQLite database connection, opened with `SQLITE_OPEN_NOMUTEX`.
///
/// **Not Sendable, not thread-safe:** use a connection from one thread at a time. `ConnectionProvider` hands a
/// connection to exactly one caller at a time, which is what makes moving it between threads safe.
///
/// Statements are cached by SQL text: `prepare` of the same string returns the same `SQLiteStatement`, reset and with
/// its bindings cleared. So do not interleave two uses of the *same* SQL string on one connection (e.g. re-preparing a
/// statement inside the row loop of that statement resets the outer loop); different SQL strings are independent.
///
/// Every statement execution is counted in `statistics` and reported to `observer` (see `QueryObserver`).
public final class SQLiteConnection {
    /// Default `busy_timeout`: how long a statement waits for a lock held by another connection before `SQLITE_BUSY`.
    public static let busyTimeoutMilliseconds: Int32 = 5000
    /// Page cache per connection, in KiB (negative `cache_size`): 4 MiB. Why so small: with `mmap_size` covering
    /// the file, SQLite reads the database's pages straight from the OS page cache (file-backed, shared by every
    /// connection, RssFile); its own cache is private anonymous memory per connection and holds only pages read
    /// from the WAL, pages being written, and pages past `mmap_size`. Measured on the default profile: ≈ 2.5 MB
    /// for all connections together. The bound is what matters when the file outgrows the mapping or a write
    /// burst fills the WAL: 4 MiB × pool_size (64 at most) = 256 MiB worst case, where 16 MiB allowed 1 GiB.
    public static let cacheSizeKiB = 4 * 1024
    /// `mmap_size`: 256 MiB covers the seeded database (181 MB at scale 1); reads then copy from the page cache of
    /// the OS directly. Virtual address space only; each connection maps the file separately, so RssFile counts a
    /// shared page once per connection that touched it (why RssFile swings by hundreds of MB: it is not a leak).
    public static let mmapSizeBytes = 256 * 1024 * 1024

    let handle: OpaquePointer
    /// The database file path.
    public let path: String
    /// Opened with `SQLITE_OPEN_READONLY`.
    public let readOnly: Bool

    /// Told about every statement executed on this connection; set it per request to attribute queries to a route.
    public var observer: (any QueryObserver)?
    /// Running totals of statements executed on this connection (pragmas at open included); reset it at will.
    public var statistics = QueryStatistics()
    /// What this connection's WAL hook calls (`WALCheckpointer.attach`), kept alive as long as the connection.
    var walHookOwner: AnyObject?
    /// Shared by the connections of one pool: their write transactions take turns here before `BEGIN IMMEDIATE`.
    var writerGate: WriterGate?

    private var cache: [String: SQLiteStatement] = [:]
    private var isClosed = false

    /// `path` for an SQLite `file:` URI: `%`, `?` and `#` would end or escape the path, so they are percent-encoded.
    static func uriPath(_ path: String) -> String {
        var out = ""
        for c in path {
            switch c {
            case "%": out += "%25"
            case "?": out += "%3f"
            case "#": out += "%23"
            default: out.append(c)
            }
        }
        return out
    }

    /// Opens (or with `create`, creates) the database at `path`.
    ///
    /// - Parameters:
    ///   - readOnly: open with `SQLITE_OPEN_READONLY` (the journal mode is then left as it is in the file).
    ///   - create: create the file if it does not exist (default false: a missing file is an error, so a typo in a
    ///     path never silently creates an empty database).
    ///   - defaultPragmas: apply `journal_mode=WAL` (unless read-only), `synchronous=NORMAL`, `foreign_keys=ON`,
    ///     `cache_size`, `mmap_size`, `temp_store=MEMORY` (default true). `busy_timeout` is always set.
    ///   - immutable: read-only, through `file:…?immutable=1`: SQLite takes no locks and creates no `-wal`/`-shm`
    ///     files beside it (a plain read-only open of a WAL-mode file does). For inspecting a file that may not be
    ///     ours, which must stay exactly as it was; it must not be written by anyone meanwhile.
    public init(path: String, readOnly: Bool = false, create: Bool = false, defaultPragmas: Bool = true,
                immutable: Bool = false) throws {
        Self.configureProcessOnce()
        let readOnly = readOnly || immutable
        var flags = SQLITE_OPEN_NOMUTEX
        if immutable { flags |= SQLITE_OPEN_URI }
        if readOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE
            if create { flags |= SQLITE_OPEN_CREATE }
        }
        var db: OpaquePointer?
        let name = immutable ? "file:" + Self.uriPath(path) + "?immutable=1" : path
        let rc = sqlite3_open_v2(name, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)", sql: nil)
        }
        self.handle = db
        self.path = path
        self.readOnly = readOnly
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Self.busyTimeoutMilliseconds)
        if defaultPragmas {
            do {
                if !readOnly { try execute("PRAGMA journal_mode=WAL") }
                try execute("""
                    PRAGMA synchronous=NORMAL;
                    PRAGMA foreign_keys=ON;
                    PRAGMA cache_size=-\(Self.cacheSizeKiB);
                    PRAGMA mmap_size=\(Self.mmapSizeBytes);
                    PRAGMA temp_store=MEMORY
                    """)
            } catch {
                close()
                throw error
            }
        }
    }

    deinit {
        close()
    }

    /// SQLite's process-wide settings, applied once before the first connection opens (they cannot change after).
    /// Memory statistics off: SQLite counts every allocation of every connection under one global mutex, and with
    /// the pool's connections reading at once that mutex was contended — `perf` on the read mix with `cache=off` at
    /// scale 1 showed `sqlite3Malloc` → `pthread_mutex_unlock` → futex wake-ups as ≈ 4% of the process. Nothing reads
    /// those statistics (`sqlite3_memory_used()` now reports 0).
    private static let processConfiguration: Int32 = dyno_sqlite3_config_memstatus_off()
    private static func configureProcessOnce() { _ = processConfiguration }

    /// Finalizes cached statements and closes the connection. Idempotent; the connection is unusable afterwards.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        for statement in cache.values { statement.finalize() }
        cache.removeAll()
        beginStatement = nil
        beginImmediateStatement = nil
        commitStatement = nil
        rollbackStatement = nil
        sqlite3_close_v2(handle)
    }

    // MARK: Executing

    /// Runs one or more `;`-separated statements, discarding any result rows. Each statement is counted.
    public func execute(_ sql: String) throws {
        try sql.withCString { start in
            var next: UnsafePointer<CChar>? = start
            while let current = next, current.pointee != 0 {
                let started = monotonicNanoseconds()
                var statement: OpaquePointer?
                var rc = sqlite3_prepare_v2(handle, current, -1, &statement, &next)
                guard rc == SQLITE_OK else { throw error(code: rc, sql: sql) }
                guard let statement else { continue }  // only whitespace or a comment was left
                defer { sqlite3_finalize(statement) }
                repeat { rc = sqlite3_step(statement) } while rc == SQLITE_ROW
                statementFinished(sql: sql, nanoseconds: monotonicNanoseconds() &- started)
                guard rc == SQLITE_DONE else { throw error(code: rc, sql: sql) }
            }
        }
    }

    /// Returns the cached prepared statement for `sql` (reset, bindings cleared), preparing it on first use.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        if let cached = cache[sql] {
            cached.reset()
            cached.clearBindings()
            return cached
        }
        let statement = try prepareUncached(sql)
        cache[sql] = statement
        return statement
    }

    /// The `EXPLAIN QUERY PLAN` detail lines for `sql`, from a fresh (uncached) statement: an EXPLAIN's output is
    /// computed when it is prepared and is not refreshed by schema changes, so a cached one would show a stale plan.
    public func explainQueryPlan(_ sql: String) throws -> [String] {
        let statement = try prepareUncached("EXPLAIN QUERY PLAN \(sql)")
        defer { statement.finalize() }
        return try statement.rows { $0.text(3) }
    }

    /// Number of statements in the cache (for tests and probes).
    public var cachedStatementCount: Int { cache.count }

    func prepareUncached(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            if rc == SQLITE_OK {
                throw SQLiteError(code: SQLITE_MISUSE, message: "no statement in SQL text", sql: sql)
            }
            throw error(code: rc, sql: sql)
        }
        return SQLiteStatement(handle: statement, sql: sql, connection: self)
    }

    // MARK: Transactions

    private var beginStatement: SQLiteStatement?
    private var beginImmediateStatement: SQLiteStatement?
    private var commitStatement: SQLiteStatement?
    private var rollbackStatement: SQLiteStatement?

    /// True while a transaction is open (`sqlite3_get_autocommit` is 0).
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in a write transaction: `BEGIN IMMEDIATE` (takes the write lock up front, so it waits on
    /// `busy_timeout` instead of failing mid-way on a lock upgrade), `COMMIT`, or `ROLLBACK` if `body` throws.
    /// Nested calls use a savepoint, so an inner failure rolls back only the inner part.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction {
            try execute("SAVEPOINT dyno_nested")
            do {
                let result = try body()
                try execute("RELEASE dyno_nested")
                return result
            } catch {
                try? execute("ROLLBACK TO dyno_nested; RELEASE dyno_nested")
                throw error
            }
        }
        guard let writerGate else {
            try cachedStatement(&beginImmediateStatement, "BEGIN IMMEDIATE").run()
            return try finishTransaction(body)
        }
        return try writerGate.withWriteTurn {
            try cachedStatement(&beginImmediateStatement, "BEGIN IMMEDIATE").run()
            return try finishTransaction(body)
        }
    }

    /// Runs `body` in a deferred (read) transaction: all its selects share one WAL read snapshot and one lock
    /// acquisition (autocommit pays it per statement; FACTS.md measured 2.7x). Inside another transaction, just runs
    /// `body`. A write inside upgrades the transaction and may then fail with `SQLITE_BUSY`: use `transaction` to write.
    public func read<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try body() }
        try cachedStatement(&beginStatement, "BEGIN").run()
        return try finishTransaction(body)
    }

    private func finishTransaction<T>(_ body: () throws -> T) throws -> T {
        let result: T
        do {
            result = try body()
        } catch {
            rollback()
            throw error
        }
        do {
            try cachedStatement(&commitStatement, "COMMIT").run()
        } catch {
            rollback()
            throw error
        }
        return result
    }

    /// Rolls back the open transaction, if any (used on error paths and by the pool before reusing a connection).
    public func rollback() {
        guard isInTransaction else { return }
        try? cachedStatement(&rollbackStatement, "ROLLBACK").run()
    }

    private func cachedStatement(_ slot: inout SQLiteStatement?, _ sql: String) throws -> SQLiteStatement {
        if let statement = slot {
            statement.reset()
            return statement
        }
        let statement = try prepareUncached(sql)
        slot = statement
        return statement
    }

    // MARK: Results of the last statement

    /// Row id of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    /// Rows changed by the most recent INSERT/UPDATE/DELETE on this connection.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    // MARK: Internals

    @inline(__always)
    func statementFinished(sql: String, nanoseconds: UInt64) {
        statistics.record(nanoseconds: nanoseconds)
        observer?.statementExecuted(sql: sql, nanoseconds: nanoseconds)
    }

    func error(code: Int32, sql: String?) -> SQLiteError {
        let extended = sqlite3_extended_errcode(handle)
        // The connection's error code is the extended form of `code` unless something else ran since; prefer it.
        let reported = (extended & 0xff) == (code & 0xff) ? extended : code
        return SQLiteError(code: reported, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}
