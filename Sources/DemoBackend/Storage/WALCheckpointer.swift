import CSQLite
import Dispatch
import Synchronization

/// Runs the WAL checkpoints of the pooled connections on a background queue instead of inside a request's commit.
///
/// Why: by default SQLite checkpoints in the `COMMIT` that takes the WAL past 1,000 pages (`wal_autocheckpoint`):
/// that request copies the WAL's pages into the database file and waits for two `fdatasync`s — 15–17 ms on this
/// machine, measured with one client posting comments (p50 0.5 ms, p99 15 ms: every ~170th commit paid it). In the
/// default profile that lands on a favorite or a comment every few seconds, squarely in their p99.
///
/// A pooled connection (`ConnectionProvider` in pool mode) gets a WAL hook in place of the automatic checkpoint:
/// after each commit SQLite reports the WAL's size, and past `thresholdPages` the hook schedules one `PASSIVE`
/// checkpoint on this queue, on a connection of its own (passive: it copies what no reader still needs and never
/// waits for or blocks readers or writers; what it leaves is taken by the next one). Connections opened per request
/// (the `pool` knob's naive setting) keep SQLite's default, like separate processes sharing a file.
final class WALCheckpointer: Sendable {
    /// WAL size that triggers a checkpoint: SQLite's own default for `wal_autocheckpoint`.
    static let thresholdPages: Int32 = 1_000

    private let databasePath: String
    private let queue = DispatchQueue(label: "dyno.wal-checkpoint", qos: .utility)
    /// True from scheduling a checkpoint until it has run: commits meanwhile schedule nothing more.
    private let scheduled = Atomic<Bool>(false)
    /// The checkpoint's own connection, opened on first use; only touched on `queue`.
    private let connection = Mutex<SQLiteConnection?>(nil)
    private let completed = Atomic<UInt64>(0)
    private let failed = Atomic<UInt64>(0)

    init(databasePath: String) {
        self.databasePath = databasePath
    }

    /// Checkpoints run so far, and those that failed (a failed one is retried after the next commit past the
    /// threshold; the WAL only grows meanwhile, nothing is lost).
    var checkpoints: (completed: UInt64, failed: UInt64) {
        (completed.load(ordering: .relaxed), failed.load(ordering: .relaxed))
    }

    /// Installs the hook on `connection` (replacing its automatic checkpoint). The connection keeps this checkpointer
    /// alive as long as it may call the hook.
    func attach(to connection: SQLiteConnection) {
        connection.walHookOwner = self
        sqlite3_wal_hook(connection.handle, { context, _, _, pages in
            guard let context else { return SQLITE_OK }
            Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(walPages: pages)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Called by SQLite after a commit (its write lock already released) with the WAL's size in pages.
    private func committed(walPages: Int32) {
        guard walPages >= Self.thresholdPages,
              scheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        queue.async { self.checkpoint() }
    }

    /// Drains the WAL into the database as far as readers allow (see the type's comment).
    func checkpoint() {
        let succeeded = connection.withLock { db -> Bool in
            do {
                if db == nil { db = try SQLiteConnection(path: databasePath) }
                try db?.execute("PRAGMA wal_checkpoint(PASSIVE)")
                return true
            } catch {
                db = nil   // reopened next time, in case this one is broken
                return false
            }
        }
        if succeeded { completed.add(1, ordering: .relaxed) } else { failed.add(1, ordering: .relaxed) }
        scheduled.store(false, ordering: .releasing)
    }
}
