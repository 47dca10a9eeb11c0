import Synchronization

/// Lets one write transaction at a time begin among the connections of one pool: the others wait on this lock and
/// are woken the moment it is released, instead of finding SQLite's write lock taken and polling for it.
///
/// Why: a `BEGIN IMMEDIATE` that finds another connection writing gets `SQLITE_BUSY`, and the busy handler sleeps
/// 1, 2, 5, 10… ms between retries, whenever the lock frees up meanwhile. In the default profile two writes meet
/// about once in a hundred (≈ 30 writes a second, ~0.5 ms each): exactly the writes' p99. SQLite allows one writer
/// anyway, so queueing them here costs nothing but the wait itself. Connections outside the pool (per-request ones,
/// the index worker, the seeder) still meet on SQLite's lock and its busy handler, like separate processes would.
final class WriterGate: Sendable {
    private let lock = Mutex(())

    /// Runs `body` (a whole write transaction) while holding the gate.
    func withWriteTurn<T>(_ body: () throws -> T) throws -> T {
        try lock.withLock { _ in try body() }
    }
}
