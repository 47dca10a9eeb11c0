import Foundation
import Synchronization
import Testing
@testable import DemoBackend

/// Counts statements reported to it.
final class CountingObserver: QueryObserver {
    let statements = Mutex<[String]>([])
    func statementExecuted(sql: String, nanoseconds: UInt64) {
        statements.withLock { $0.append(sql) }
    }
    var count: Int { statements.withLock { $0.count } }
}

@Suite("Storage: SQLite wrapper")
final class StorageSQLiteTests {
    let directory: StorageTempDirectory
    let connection: SQLiteConnection

    init() throws {
        directory = try StorageTempDirectory()
        connection = try SQLiteConnection(path: directory.file("test.sqlite"), create: true)
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, s TEXT UNIQUE, d REAL, n TEXT)")
    }

    deinit {
        connection.close()
        directory.remove()
    }

    @Test func bindsAndReadsEveryType() throws {
        let insert = try connection.prepare("INSERT INTO t (i, s, d, n) VALUES (?, ?, ?, ?)")
        try insert.bind(42, "héllo ✓", 1.5, nil)
        try insert.run()
        #expect(connection.lastInsertRowID == 1)
        #expect(connection.changes == 1)
        try insert.bind(.int(-7), .text(""), .double(0), .optionalText("x"))
        try insert.run()

        let rows = try connection.prepare("SELECT i, s, d, n FROM t ORDER BY id").rows { row in
            (row.int(0), row.text(1), row.double(2), row.optionalText(3), row.isNull(3))
        }
        #expect(rows.count == 2)
        #expect(rows[0].0 == 42 && rows[0].1 == "héllo ✓" && rows[0].2 == 1.5 && rows[0].3 == nil && rows[0].4)
        // An empty string is stored as '' (not NULL).
        #expect(rows[1].0 == -7 && rows[1].1 == "" && rows[1].3 == "x" && !rows[1].4)
        let emptyIsNull = try connection.prepare("SELECT s IS NULL FROM t WHERE id = 2").firstRow { $0.int(0) }
        #expect(emptyIsNull == 0)
    }

    @Test func stepReportsRowsThenDone() throws {
        try connection.execute("INSERT INTO t (i) VALUES (1); INSERT INTO t (i) VALUES (2)")
        let select = try connection.prepare("SELECT i FROM t ORDER BY i")
        #expect(try select.step())
        #expect(select.int(0) == 1)
        #expect(try select.step())
        #expect(select.int(0) == 2)
        #expect(try select.step() == false)
        select.reset()
        #expect(try select.firstRow { $0.int(0) } == 1)
    }

    @Test func errorsCarryCodeMessageAndSQL() throws {
        do {
            _ = try connection.prepare("SELEC 1")
            Issue.record("expected a syntax error")
        } catch let error as SQLiteError {
            #expect(error.sql == "SELEC 1")
            #expect(error.message.contains("syntax error"))
            #expect(error.description.contains("SELEC 1"))
        }

        let insert = try connection.prepare("INSERT INTO t (s) VALUES (?)")
        try insert.bind("dup")
        try insert.run()
        try insert.bind("dup")
        let unique = #expect(throws: SQLiteError.self) { try insert.run() }
        #expect(unique?.isUniqueViolation == true)
        #expect(unique?.isConstraintViolation == true)
        #expect(unique?.sql == "INSERT INTO t (s) VALUES (?)")

        let range = #expect(throws: SQLiteError.self) { try insert.bind(1, 2) }
        #expect(range?.message.contains("parameter index 2") == true)

        #expect(throws: SQLiteError.self) { try connection.execute("INSERT INTO missing VALUES (1)") }
    }

    @Test func openingAMissingFileWithoutCreateFails() throws {
        let path = directory.file("missing.sqlite")
        let error = #expect(throws: SQLiteError.self) { try SQLiteConnection(path: path) }
        #expect(error?.message.contains(path) == true)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func appliesPragmas() throws {
        #expect(try connection.prepare("PRAGMA journal_mode").firstRow { $0.text(0) } == "wal")
        #expect(try connection.prepare("PRAGMA foreign_keys").firstRow { $0.int(0) } == 1)
        #expect(try connection.prepare("PRAGMA synchronous").firstRow { $0.int(0) } == 1)  // NORMAL
        #expect(try connection.prepare("PRAGMA busy_timeout").firstRow { $0.int(0) } == 5000)
    }

    @Test func cachesStatementsBySQLAndClearsBindings() throws {
        let first = try connection.prepare("SELECT ?")
        try first.bind(7)
        #expect(try first.firstRow { $0.int(0) } == 7)
        let before = connection.cachedStatementCount
        let second = try connection.prepare("SELECT ?")
        #expect(first === second)
        #expect(connection.cachedStatementCount == before)
        #expect(try second.firstRow { $0.isNull(0) } == true)  // bindings were cleared
        let other = try connection.prepare("SELECT ? + 1")
        #expect(other !== first)
        #expect(connection.cachedStatementCount == before + 1)
    }

    @Test func observerAndStatisticsCountEveryStatement() throws {
        let observer = CountingObserver()
        connection.observer = observer
        connection.statistics = QueryStatistics()

        try connection.execute("INSERT INTO t (i) VALUES (1); INSERT INTO t (i) VALUES (2); SELECT 1")
        #expect(observer.count == 3)

        let select = try connection.prepare("SELECT i FROM t")
        _ = try select.rows { $0.int(0) }  // one execution, however many rows
        #expect(observer.count == 4)

        try connection.transaction {  // BEGIN IMMEDIATE + insert + COMMIT
            try connection.prepare("INSERT INTO t (i) VALUES (3)").run()
        }
        #expect(observer.count == 7)

        // A partial read ended by reset counts once.
        #expect(try select.step())
        select.reset()
        #expect(observer.count == 8)

        // A failing statement counts too.
        #expect(throws: SQLiteError.self) { try connection.execute("INSERT INTO t (id) VALUES (1)") }
        #expect(observer.count == 9)

        #expect(connection.statistics.statements == 9)
        #expect(connection.statistics.totalNanoseconds > 0)
        #expect(observer.statements.withLock { $0[3] } == "SELECT i FROM t")
    }

    @Test func transactionRollsBackWhenBodyThrows() throws {
        struct Failure: Error {}
        #expect(throws: Failure.self) {
            try connection.transaction {
                try connection.execute("INSERT INTO t (i) VALUES (1)")
                throw Failure()
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.prepare("SELECT COUNT(*) FROM t").firstRow { $0.int(0) } == 0)
    }

    @Test func nestedTransactionRollsBackOnlyTheInnerPart() throws {
        struct Failure: Error {}
        try connection.transaction {
            try connection.execute("INSERT INTO t (i) VALUES (1)")
            try? connection.transaction {
                try connection.execute("INSERT INTO t (i) VALUES (2)")
                throw Failure()
            }
        }
        let values = try connection.prepare("SELECT i FROM t").rows { $0.int(0) }
        #expect(values == [1])
    }

    @Test func readRunsSelectsInOneTransaction() throws {
        try connection.execute("INSERT INTO t (i) VALUES (5)")
        let sum = try connection.read {
            #expect(connection.isInTransaction)
            return try connection.prepare("SELECT SUM(i) FROM t").firstRow { $0.int(0) }
        }
        #expect(sum == 5)
        #expect(!connection.isInTransaction)
    }
}
