import Dispatch
import Synchronization

/// Applies the `indexes` knob: creates or drops the secondary indexes on a background queue, on its own connection,
/// while requests keep being served (WAL; each index in its own short transaction — see `SecondaryIndexes`).
/// Requests are coalesced: only the latest wanted state matters.
final class IndexKnobWorker: Sendable {
    private let databasePath: String
    /// Counts the statements of index builds (route label "background").
    private let observer: (any QueryObserver)?
    private let queue = DispatchQueue(label: "dyno.indexes")
    private struct State {
        var wanted: Bool?
        var running = false
        /// 0...1 while a build/drop runs.
        var progress: Double?
        var lastError: String?
    }
    private let state = Mutex(State())

    init(databasePath: String, observer: (any QueryObserver)? = nil) {
        self.databasePath = databasePath
        self.observer = observer
    }

    /// Progress of a running create/drop (0...1), nil when idle.
    var progress: Double? { state.withLock { $0.progress } }
    /// The last failure, if any (for logs and tests).
    var lastError: String? { state.withLock { $0.lastError } }

    /// Asks for the indexes to be present (true) or absent (false).
    func request(present: Bool) {
        let start = state.withLock { s -> Bool in
            s.wanted = present
            if s.running { return false }
            s.running = true
            s.progress = 0
            return true
        }
        if start { queue.async { self.run() } }
    }

    private func run() {
        while let wanted = state.withLock({ s -> Bool? in
            guard let w = s.wanted else { s.running = false; s.progress = nil; return nil }
            s.wanted = nil
            return w
        }) {
            do {
                let db = try SQLiteConnection(path: databasePath)
                defer { db.close() }
                db.observer = observer
                if wanted {
                    try SecondaryIndexes.create(on: db) { done, total in
                        self.state.withLock { $0.progress = Double(done) / Double(max(total, 1)) }
                    }
                } else if !(try SecondaryIndexes.presentNames(on: db)).isEmpty {
                    try SecondaryIndexes.drop(on: db)
                }
                state.withLock { $0.lastError = nil }
            } catch {
                state.withLock { $0.lastError = String(describing: error) }
            }
        }
    }

    /// Blocks until no create/drop is running (used by `DemoBackend.stop()`).
    func waitUntilIdle() {
        queue.sync {}
    }
}
