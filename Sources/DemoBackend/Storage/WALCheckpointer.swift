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
///
/// The WAL only starts over (its next frame written at the start of the file) when a writer begins while every frame
/// has been copied back and no reader that began before that is still reading; otherwise SQLite silently appends.
/// Until it starts over the WAL only grows, and that hurts every route: each write resets the other connections' page
/// caches, so each read transaction fetches its hot pages again, from the mapped database file when they are there,
/// with a `pread` each when their newest version sits in the WAL. In the default profile (300/s, ~10% writes) the
/// first writer after a checkpoint usually met a reader still busy, so the WAL never started over and grew by ~80
/// pages a second for the whole run (16 MB after a minute).
///
/// So (`CheckpointSchedule`): after a checkpoint, a commit that finds the WAL has not started over schedules another
/// one at once. It copies only the few frames committed since, and the writer after it tries again. Otherwise the next
/// is due `thresholdPages` after the WAL started over. Past `inCommitLimitPages` the committing connection checkpoints
/// itself, as SQLite's default would, while it still holds the writer gate: the bound if nothing else works.
final class WALCheckpointer: Sendable {
    /// WAL size that triggers a checkpoint: SQLite's own default for `wal_autocheckpoint`.
    static let thresholdPages: Int32 = 1_000
    /// WAL size past which a commit checkpoints in place (≈ 40 MB at 4 KiB pages): the bound on the file.
    static let inCommitLimitPages: Int32 = 10_000

    private let databasePath: String
    private let queue = DispatchQueue(label: "dyno.wal-checkpoint", qos: .utility)
    /// True from scheduling a checkpoint until it has run: commits meanwhile schedule nothing more.
    private let scheduled = Atomic<Bool>(false)
    /// The checkpoint's own connection, opened on first use; only touched on `queue`.
    private let connection = Mutex<SQLiteConnection?>(nil)
    private let completed = Atomic<UInt64>(0)
    private let failed = Atomic<UInt64>(0)
    private let inCommit = Atomic<UInt64>(0)
    /// The WAL's size after the latest pooled commit and at the last checkpoint: decides when the next one is due.
    private let schedule = Mutex(CheckpointSchedule(thresholdPages: WALCheckpointer.thresholdPages))

    init(databasePath: String) {
        self.databasePath = databasePath
    }

    /// Background checkpoints run so far, those that failed (retried at the next commit that finds one due; the WAL
    /// only grows meanwhile, nothing is lost), and checkpoints run by a commit past `inCommitLimitPages`.
    var checkpoints: (completed: UInt64, failed: UInt64, inCommit: UInt64) {
        (completed.load(ordering: .relaxed), failed.load(ordering: .relaxed), inCommit.load(ordering: .relaxed))
    }

    /// Installs the hook on `connection` (replacing its automatic checkpoint). The connection keeps this checkpointer
    /// alive as long as it may call the hook.
    func attach(to connection: SQLiteConnection) {
        connection.walHookOwner = self
        sqlite3_wal_hook(connection.handle, { context, db, name, pages in
            guard let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
            if pages >= WALCheckpointer.inCommitLimitPages {
                checkpointer.inCommit.add(1, ordering: .relaxed)
                // Its result is not ours to return: an error here would make the COMMIT that already happened
                // report a failure (SQLite's own hook ignores it too). SQLITE_BUSY just means the background
                // checkpoint is running.
                _ = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                return SQLITE_OK
            }
            checkpointer.committed(walPages: pages)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// The WAL's size in frames after the latest pooled commit: it falls back when the WAL starts over.
    var walFrames: Int32 { schedule.withLock { $0.framesAtLastCommit } }

    /// Called by SQLite after a commit (its write lock already released) with the WAL's size in pages.
    private func committed(walPages: Int32) {
        guard schedule.withLock({ $0.committed(walFrames: walPages) }),
              scheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        queue.async { self.checkpoint() }
    }

    /// Drains the WAL into the database as far as readers allow (see the type's comment).
    func checkpoint() {
        let walFrames = connection.withLock { db -> Int32? in
            do {
                if db == nil { db = try SQLiteConnection(path: databasePath) }
                // One row: busy flag, frames in the WAL, frames copied back.
                let statement = try db?.prepare("PRAGMA wal_checkpoint(PASSIVE)")
                return try statement?.firstRow { Int32(truncatingIfNeeded: $0.int(1)) } ?? nil
            } catch {
                db = nil   // reopened next time, in case this one is broken
                return nil
            }
        }
        if let walFrames { schedule.withLock { $0.checkpointed(walFrames: walFrames) } }
        let succeeded = walFrames != nil
        if succeeded { completed.add(1, ordering: .relaxed) } else { failed.add(1, ordering: .relaxed) }
        scheduled.store(false, ordering: .releasing)
    }
}

/// When the next background checkpoint is due (see `WALCheckpointer`): fed every pooled commit's WAL size and every
/// checkpoint's.
struct CheckpointSchedule: Sendable {
    let thresholdPages: Int32
    /// The WAL's size after the latest commit: a smaller one means it started over.
    private(set) var framesAtLastCommit: Int32 = 0
    /// The WAL's size when the last checkpoint ran, if the WAL has not started over since.
    private var framesAtLastCheckpoint: Int32?

    init(thresholdPages: Int32) {
        self.thresholdPages = thresholdPages
    }

    /// A commit left the WAL at `walFrames`: whether a checkpoint should start now.
    mutating func committed(walFrames now: Int32) -> Bool {
        if now < framesAtLastCommit { framesAtLastCheckpoint = nil }   // started over
        framesAtLastCommit = now
        // Checkpointed, yet frames were added without starting over: it was left unfinished, or the writer after it
        // met a reader. Finish the few frames now so the next writer can start over.
        if let last = framesAtLastCheckpoint { return now > last }
        return now >= thresholdPages
    }

    /// A checkpoint ran on a WAL of `walFrames` frames.
    mutating func checkpointed(walFrames: Int32) {
        framesAtLastCheckpoint = walFrames
    }
}
