import CSQLite

/// An error reported by SQLite, with the (extended) result code, SQLite's message and the SQL that failed.
///
/// The SQL is for logs and tests only: never echo it to an HTTP client (STYLE.md §6).
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The extended result code (`sqlite3_extended_errcode`), e.g. `SQLITE_CONSTRAINT_UNIQUE` (2067).
    public let code: Int32
    /// SQLite's message (`sqlite3_errmsg`) or a description of what the wrapper rejected.
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    public init(code: Int32, message: String, sql: String?) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (the low byte of `code`), e.g. `SQLITE_CONSTRAINT` (19).
    public var primaryCode: Int32 { code & 0xff }

    /// True for UNIQUE / PRIMARY KEY / FOREIGN KEY / NOT NULL / CHECK violations.
    public var isConstraintViolation: Bool { primaryCode == SQLITE_CONSTRAINT }

    /// True for a UNIQUE or PRIMARY KEY violation (the API maps it to 422 "has already been taken").
    public var isUniqueViolation: Bool {
        code == Self.constraintUnique || code == Self.constraintPrimaryKey
    }

    // Extended codes are C macros Swift does not import: SQLITE_CONSTRAINT | (n << 8).
    static let constraintUnique: Int32 = SQLITE_CONSTRAINT | (8 << 8)
    static let constraintPrimaryKey: Int32 = SQLITE_CONSTRAINT | (6 << 8)

    /// True when the database was locked past the busy timeout (`SQLITE_BUSY`) or a table was locked.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    public var description: String {
        if let sql {
            return "SQLite error \(code): \(message) (SQL: \(sql))"
        }
        return "SQLite error \(code): \(message)"
    }
}
