import CSQLite
import Dispatch

/// Lets one write transaction at a time begin among the connections of one pool: the others wait here and are woken
/// the moment it is released, instead of finding SQLite's write lock taken and polling for it.
///
/// Why: a `BEGIN IMMEDIATE` that finds another connection writing gets `SQLITE_BUSY`, and the busy handler sleeps
/// 1, 2, 5, 10… ms between retries, whenever the lock frees up meanwhile. In the default profile two writes meet
/// about once in a hundred (≈ 30 writes a second, ~0.5 ms each): exactly the writes' p99. SQLite allows one writer
/// anyway, so queueing them here costs nothing but the wait itself. Connections outside the pool (per-request ones,
/// the index worker, the seeder) still meet on SQLite's lock and its busy handler, like separate processes would.
///
/// The wait is bounded like SQLite's own (`busy_timeout`): while something outside the pool holds the write lock for
/// long (a live index rebuild), the writer at the head waits in SQLite's busy handler and the ones behind it here;
/// each gives up after `timeout` with `SQLITE_BUSY`, which the API answers 503 + Retry-After, instead of queueing
/// without end.
final class WriterGate: Sendable {
    private let turn = DispatchSemaphore(value: 1)
    let timeout: Duration

    init(timeout: Duration = .milliseconds(Int(SQLiteConnection.busyTimeoutMilliseconds))) {
        self.timeout = timeout
    }

    /// Runs `body` (a whole write transaction) while holding the gate; throws `SQLITE_BUSY` after waiting `timeout`.
    func withWriteTurn<T>(_ body: () throws -> T) throws -> T {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        guard turn.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else {
            throw SQLiteError(code: SQLITE_BUSY, message: "no turn to write within \(timeout) (another write holds it)",
                              sql: nil)
        }
        defer { turn.signal() }
        return try body()
    }
}
