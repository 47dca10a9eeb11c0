import Dispatch
import Synchronization
import Testing
import TestSupport
@testable import DemoBackend

/// Pooled connections leave WAL checkpoints to `WALCheckpointer` (off the committing request) and take turns for
/// writes at their `WriterGate`; connections opened per request keep SQLite's automatic checkpoint and busy handler.
@Suite("Storage: WAL checkpoints and writers off the request path")
final class StorageCheckpointTests {
    let directory: StorageTempDirectory
    let path: String

    init() throws {
        directory = try StorageTempDirectory()
        path = directory.file("wal.sqlite")
        let connection = try SQLiteConnection(path: path, create: true)
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
        connection.close()
    }

    deinit { directory.remove() }

    /// `PRAGMA wal_autocheckpoint` reads 0 once a WAL hook replaces the automatic checkpoint.
    static func autocheckpointPages(_ provider: ConnectionProvider) throws -> Int64 {
        try provider.withConnection { db in try db.prepare("PRAGMA wal_autocheckpoint").firstRow { $0.int(0) } ?? -1 }
    }

    @Test func pooledCommitsPastTheThresholdAreCheckpointedInTheBackground() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .pool(size: 2), acquireTimeout: .seconds(30))
        #expect(try Self.autocheckpointPages(provider) == 0)
        // Each commit adds at least one page (a 4 KiB row on 4 KiB pages): past the threshold well before the end.
        let rows = Int(WALCheckpointer.thresholdPages) + 200
        for _ in 0..<rows {
            try provider.withConnection { db in
                try db.transaction {
                    let insert = try db.prepare("INSERT INTO t (v) VALUES (zeroblob(4096))")
                    try insert.run()
                }
            }
        }
        #expect(waitUntilBlocking(deadline: .seconds(30)) { provider.checkpointer.checkpoints.completed >= 1 })
        #expect(provider.checkpointer.checkpoints.failed == 0)
        #expect(provider.checkpointer.checkpoints.inCommit == 0)   // far below the in-commit bound
        let count = try provider.withConnection { db in try db.prepare("SELECT count(*) FROM t").firstRow { $0.int(0) } }
        #expect(count == Int64(rows))
    }

    /// A checkpoint that a reader held back (the reader's snapshot needs the newest frames) leaves the WAL
    /// unfinished: the very next commit finishes it, though far fewer than `thresholdPages` frames came since, and
    /// the commit after that starts the WAL over. Before, the WAL only grew until the next threshold's worth.
    @Test func aCheckpointLeftUnfinishedIsFinishedAtTheNextCommitAndTheWALStartsOver() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .pool(size: 2), acquireTimeout: .seconds(30))
        let insert = {
            try provider.withConnection { db in
                try db.transaction { try db.prepare("INSERT INTO t (v) VALUES (zeroblob(4096))").run() }
            }
        }
        let threshold = WALCheckpointer.thresholdPages
        while provider.checkpointer.walFrames < threshold - 50 { try insert() }
        #expect(provider.checkpointer.checkpoints.completed == 0)
        // A reader outside the pool takes its snapshot here; the commits after it pass the threshold.
        let reader = try SQLiteConnection(path: path)
        defer { reader.close() }
        try reader.execute("BEGIN")
        _ = try reader.prepare("SELECT count(*) FROM t").firstRow { $0.int(0) }
        while provider.checkpointer.walFrames < threshold + 50 { try insert() }
        #expect(waitUntilBlocking(deadline: .seconds(30)) { provider.checkpointer.checkpoints.completed >= 1 })
        let framesHeldBack = provider.checkpointer.walFrames
        try reader.execute("COMMIT")

        try insert()   // 1 frame past a checkpoint that left some behind: due again
        #expect(waitUntilBlocking(deadline: .seconds(30)) { provider.checkpointer.checkpoints.completed >= 2 })
        try insert()   // every frame copied, no reader left: this commit writes at the WAL's start
        #expect(provider.checkpointer.walFrames < 10, "the WAL had \(framesHeldBack) frames and did not start over")
        #expect(provider.checkpointer.checkpoints.failed == 0)
    }

    @Test func checkpointScheduleGoesAgainUntilTheWALStartsOver() {
        var schedule = CheckpointSchedule(thresholdPages: 1_000)
        func commit(_ walFrames: Int32) -> Bool { schedule.committed(walFrames: walFrames) }
        #expect(!commit(999))
        #expect(commit(1_000))
        schedule.checkpointed(walFrames: 1_002)          // two frames were committed while it ran
        #expect(commit(1_004))                           // no start-over: the next writer met a reader; go again
        schedule.checkpointed(walFrames: 1_004)
        #expect(!commit(2))                              // started over: count from its start
        #expect(!commit(998))
        #expect(commit(1_001))
    }

    @Test func perRequestConnectionsKeepTheAutomaticCheckpoint() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .perRequest)
        #expect(try Self.autocheckpointPages(provider) == Int64(WALCheckpointer.thresholdPages))
    }

    /// With SQLite's busy handler off (`busy_timeout=0`), a `BEGIN IMMEDIATE` that met another writer would fail at
    /// once with SQLITE_BUSY: none does, because pooled writers queue at the gate instead.
    @Test func pooledWritersTakeTurnsWithoutMeetingSQLitesLock() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .pool(size: 4), acquireTimeout: .seconds(30))
        let failures = Mutex<[String]>([])
        let threads = (0..<4).map { _ in
            StorageTestThread {
                for _ in 0..<50 {
                    do {
                        try provider.withConnection { db in
                            try db.execute("PRAGMA busy_timeout=0")
                            try db.transaction {
                                try db.prepare("INSERT INTO t (v) VALUES (randomblob(64))").run()
                                try db.prepare("SELECT count(*) FROM t").firstRow { _ in () }
                            }
                        }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
        }
        for thread in threads { thread.join() }
        #expect(failures.withLock { $0 } == [])
        let count = try provider.withConnection { db in try db.prepare("SELECT count(*) FROM t").firstRow { $0.int(0) } }
        #expect(count == 200)
    }

    /// A writer that cannot get its turn within the gate's timeout gets `SQLITE_BUSY` (the API's 503), not an
    /// endless wait behind a write that does not end.
    @Test func aWriterThatGetsNoTurnInTimeGivesUpBusy() throws {
        let gate = WriterGate(timeout: .milliseconds(50))
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let holder = StorageTestThread {
            _ = try? gate.withWriteTurn {
                holding.signal()
                release.wait()
            }
        }
        holding.wait()
        do {
            try gate.withWriteTurn { () }
            Issue.record("got a turn while another write held the gate")
        } catch let error as SQLiteError {
            #expect(error.isBusy)
        }
        release.signal()
        holder.join()
        #expect(try gate.withWriteTurn { 42 } == 42)   // free again
    }
}
