import CSQLite

/// A prepared statement, owned and cached by its `SQLiteConnection` (valid only while the connection is open).
///
/// Parameters are 1-based, columns 0-based (as in SQLite). One execution runs from the first `step()` to
/// `SQLITE_DONE`, an error or `reset()`; each execution is counted once by the connection's statistics/observer.
public final class SQLiteStatement {
    private var handle: OpaquePointer?
    /// The SQL text this statement was prepared from.
    public let sql: String
    private unowned let connection: SQLiteConnection
    private var executing = false
    private var startedAt: UInt64 = 0

    init(handle: OpaquePointer, sql: String, connection: SQLiteConnection) {
        self.handle = handle
        self.sql = sql
        self.connection = connection
    }

    deinit {
        finalize()
    }

    func finalize() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    private var live: OpaquePointer {
        guard let handle else { preconditionFailure("SQLiteStatement used after its connection was closed: \(sql)") }
        return handle
    }

    // MARK: Binding

    /// Binds `values` to parameters 1, 2, ...
    public func bind(_ values: SQLiteValue...) throws {
        try bind(values)
    }

    /// Binds `values` to parameters 1, 2, ...
    public func bind(_ values: [SQLiteValue]) throws {
        var index: Int32 = 1
        for value in values {
            try bind(value, at: index)
            index += 1
        }
    }

    /// Binds one value at a 1-based parameter index (no array: the cheapest form for hot paths).
    public func bind(_ value: SQLiteValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .int(let int):
            rc = sqlite3_bind_int64(live, index, int)
        case .double(let double):
            rc = sqlite3_bind_double(live, index, double)
        case .null:
            rc = sqlite3_bind_null(live, index)
        case .text(var text):
            // SQLITE_TRANSIENT: SQLite copies the bytes, so the Swift buffer need not outlive the call.
            let statement = live
            rc = text.withUTF8 { bytes in
                // A nil pointer would bind NULL: an empty string needs a real (empty) C string.
                guard let base = bytes.baseAddress, !bytes.isEmpty else {
                    return sqlite3_bind_text(statement, index, "", 0, sqliteTransient)
                }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(statement, index, $0, Int32(bytes.count), sqliteTransient)
                }
            }
        }
        guard rc == SQLITE_OK else {
            if rc == SQLITE_RANGE {
                throw SQLiteError(code: rc, message: "parameter index \(index) out of range (statement has \(sqlite3_bind_parameter_count(live)))", sql: sql)
            }
            throw connection.error(code: rc, sql: sql)
        }
    }

    /// Sets all parameters to NULL.
    public func clearBindings() {
        sqlite3_clear_bindings(live)
    }

    // MARK: Stepping

    /// Advances to the next row. Returns true when a row is available, false when the statement is done.
    /// On an error the statement is reset and the error (with this SQL) thrown.
    public func step() throws -> Bool {
        if !executing {
            executing = true
            startedAt = monotonicNanoseconds()
        }
        let rc = sqlite3_step(live)
        if rc == SQLITE_ROW { return true }
        finishExecution()
        if rc == SQLITE_DONE { return false }
        let error = connection.error(code: rc, sql: sql)
        sqlite3_reset(live)
        throw error
    }

    /// Steps through all rows, mapping each, then resets. The statement's bindings are kept.
    public func rows<T>(_ map: (SQLiteStatement) throws -> T) throws -> [T] {
        defer { reset() }
        var result: [T] = []
        while try step() {
            result.append(try map(self))
        }
        return result
    }

    /// Steps through all rows calling `body` on each, then resets (no result array).
    public func forEachRow(_ body: (SQLiteStatement) throws -> Void) throws {
        defer { reset() }
        while try step() {
            try body(self)
        }
    }

    /// Steps to the first row, maps it, then resets. Nil when there is no row.
    public func firstRow<T>(_ map: (SQLiteStatement) throws -> T) throws -> T? {
        defer { reset() }
        guard try step() else { return nil }
        return try map(self)
    }

    /// Steps to done (for INSERT/UPDATE/DELETE), then resets.
    public func run() throws {
        defer { reset() }
        while try step() {}
    }

    /// Ends the current execution (counting it, if one was in progress) so the statement can run again.
    public func reset() {
        finishExecution()
        sqlite3_reset(live)
    }

    @inline(__always)
    private func finishExecution() {
        guard executing else { return }
        executing = false
        connection.statementFinished(sql: sql, nanoseconds: monotonicNanoseconds() &- startedAt)
    }

    /// Rows stepped through in full table/index scans by this statement so far (`SQLITE_STMTSTATUS_FULLSCAN_STEP`,
    /// cumulative across runs): non-zero means the query scans instead of searching an index.
    public var fullScanSteps: Int { Int(sqlite3_stmt_status(live, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0)) }

    // MARK: Columns of the current row

    /// Number of columns in the result.
    public var columnCount: Int32 { sqlite3_column_count(live) }

    /// The column as an integer (NULL reads as 0).
    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(live, column) }

    /// The column as a double (NULL reads as 0).
    public func double(_ column: Int32) -> Double { sqlite3_column_double(live, column) }

    /// True if the column is NULL.
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(live, column) == SQLITE_NULL }

    /// The column as text (NULL reads as "").
    public func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(live, column) else { return "" }
        let count = Int(sqlite3_column_bytes(live, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// The column as text, or nil for NULL.
    public func optionalText(_ column: Int32) -> String? {
        isNull(column) ? nil : text(column)
    }

    /// The column's UTF-8 bytes without making a `String` (valid only inside `body`; empty for NULL).
    /// For encoders that copy straight into an output buffer.
    public func withTextBytes<R>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let bytes = sqlite3_column_text(live, column) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        let count = Int(sqlite3_column_bytes(live, column))
        return try body(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}

/// `SQLITE_TRANSIENT` (a C macro Swift cannot import): tells SQLite to copy bound bytes.
let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
