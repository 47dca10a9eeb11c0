import CSQLite
import Dispatch
import Metrics
import Synchronization

/// What the pool looks like now (for the pool panel and `/metrics`).
public struct ConnectionPoolStatistics: Sendable {
    public var mode: ConnectionProvider.PoolMode
    /// Connections leased to callers (or being opened for one).
    public var inUse: Int
    /// Open connections waiting to be leased.
    public var idle: Int
    /// Callers parked waiting for a connection.
    public var waiters: Int
    /// Successful acquisitions since start.
    public var acquiresTotal: UInt64
    /// Acquisitions that gave up after the acquire timeout (`PoolError.timeout`).
    public var timeoutsTotal: UInt64
    /// Acquisitions refused because the wait queue was full (`PoolError.tooManyWaiters`).
    public var rejectedTotal: UInt64
    /// Connections opened / closed since start.
    public var openedTotal: UInt64
    public var closedTotal: UInt64
    /// Time to get a connection (waiting plus, when a new one is opened, open + pragmas), per successful acquire.
    public var acquireTime: LatencySummary
}

/// Why a connection could not be acquired. The API answers both with 503 + Retry-After.
public enum PoolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection became available within the acquire timeout.
    case timeout
    /// The wait queue already held `maxWaiters` callers.
    case tooManyWaiters

    public var description: String {
        switch self {
        case .timeout: "timed out waiting for a database connection"
        case .tooManyWaiters: "too many callers waiting for a database connection"
        }
    }
}

/// Hands out SQLite connections: a fresh one per request (the naive setting of the `pool` knob) or from a bounded
/// pool with a bounded FIFO wait queue. The mode can be switched live.
///
/// The bookkeeping is `PoolStateMachine` behind a `Mutex`; opening, closing and waking waiters happen outside the
/// lock. Waiters park on their own semaphore, so they are served strictly in arrival order.
/// Connections opened in pool mode leave WAL checkpoints to `WALCheckpointer` (a background queue), so no request's
/// commit pays for one, and take turns for write transactions at a `WriterGate` instead of polling SQLite's lock.
public final class ConnectionProvider: Sendable {
    /// How connections are provided.
    public enum PoolMode: Sendable, Equatable, CustomStringConvertible {
        /// Open a connection for each `withConnection` call and close it afterwards (pays open, pragmas, schema read).
        case perRequest
        /// Keep up to `size` connections (1...64; out-of-range values are clamped).
        case pool(size: Int)

        /// Allowed pool sizes.
        public static let sizeRange = 1...64

        var clamped: PoolMode {
            switch self {
            case .perRequest: .perRequest
            case .pool(let size): .pool(size: min(max(size, Self.sizeRange.lowerBound), Self.sizeRange.upperBound))
            }
        }

        public var description: String {
            switch self {
            case .perRequest: "per-request"
            case .pool(let size): "pool(\(size))"
            }
        }
    }

    /// The database every connection opens.
    public let databasePath: String
    /// How long `withConnection` waits for a pooled connection before `PoolError.timeout`.
    public let acquireTimeout: Duration

    private let state: Mutex<PoolStateMachine>
    private let acquireTime = AtomicLatencyHistogram()
    private let opened = Atomic<UInt64>(0)
    private let closed = Atomic<UInt64>(0)
    private let openConnection: @Sendable (String) throws -> SQLiteConnection
    /// Checkpoints the WAL for the connections opened in pool mode, off their commits.
    let checkpointer: WALCheckpointer
    /// Queues the write transactions of the connections opened in pool mode (`WriterGate`).
    let writerGate = WriterGate()

    /// - Parameters:
    ///   - databasePath: an existing database (connections never create one).
    ///   - mode: initial mode; pool sizes are clamped to 1...64.
    ///   - acquireTimeout: how long a caller waits for a pooled connection (default 500 ms).
    ///   - maxWaiters: how many callers may wait at once; more are refused at once (default 256).
    public convenience init(databasePath: String, mode: PoolMode, acquireTimeout: Duration = .milliseconds(500),
                            maxWaiters: Int = 256) {
        self.init(databasePath: databasePath, mode: mode, acquireTimeout: acquireTimeout, maxWaiters: maxWaiters) {
            try SQLiteConnection(path: $0)
        }
    }

    /// Same, with the function that opens a connection (tests count or fail opens with it).
    init(databasePath: String, mode: PoolMode, acquireTimeout: Duration, maxWaiters: Int,
         openConnection: @escaping @Sendable (String) throws -> SQLiteConnection) {
        self.databasePath = databasePath
        self.acquireTimeout = acquireTimeout
        self.state = Mutex(PoolStateMachine(mode: mode, maxWaiters: maxWaiters))
        self.openConnection = openConnection
        checkpointer = WALCheckpointer(databasePath: databasePath)
    }

    /// The current mode.
    public var mode: PoolMode { state.withLock { $0.mode } }

    /// Switches mode live. Idle connections beyond the new size are closed now, leased ones when they come back;
    /// parked callers get the new room at once.
    public func setMode(_ mode: PoolMode) {
        let actions = state.withLock { $0.setMode(mode) }
        for connection in actions.close { close(connection) }
        for wake in actions.wake { wake.waiter.semaphore.signal() }
    }

    /// Runs `body` with a connection leased to the calling thread, then takes it back.
    ///
    /// Blocks the calling thread until a connection is available (pool) or a new one is open (per request).
    /// Throws `PoolError.timeout` after `acquireTimeout`, `PoolError.tooManyWaiters` when the wait queue is full, or
    /// the `SQLiteError` of a failed open. On return a transaction left open by `body` is rolled back and the
    /// connection's `observer` cleared. A connection whose `body` hit an I/O or corruption error is closed, not reused.
    public func withConnection<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let pooled = try acquire()
        let result: T
        do {
            result = try body(pooled.connection)
        } catch {
            release(pooled, reusable: !Self.isConnectionBroken(error))
            throw error
        }
        release(pooled, reusable: true)
        return result
    }

    /// The pool's current state and totals.
    public var probe: ConnectionPoolStatistics {
        let (mode, inUse, idle, waiters, acquires, timeouts, rejected) = state.withLock {
            ($0.mode, $0.leased, $0.idle.count, $0.waiters.count, $0.acquiresTotal, $0.timeoutsTotal, $0.rejectedTotal)
        }
        return ConnectionPoolStatistics(mode: mode, inUse: inUse, idle: idle, waiters: waiters, acquiresTotal: acquires,
                         timeoutsTotal: timeouts, rejectedTotal: rejected,
                         openedTotal: opened.load(ordering: .relaxed), closedTotal: closed.load(ordering: .relaxed),
                         acquireTime: acquireTime.summary)
    }

    /// Closes the idle connections (e.g. at shutdown). Leased ones close when released in per-request mode, or
    /// when the provider is deallocated.
    public func closeIdleConnections() {
        let idle = state.withLock { $0.drainIdle() }
        for connection in idle { close(connection) }
    }

    // MARK: Internals

    private func acquire() throws -> PooledConnection {
        let started = monotonicNanoseconds()
        let action = state.withLock { $0.acquire(makeWaiter: PoolWaiter.init) }
        let grant: PoolGrant
        switch action {
        case .use(let connection):
            grant = .connection(connection)
        case .open:
            grant = .openPermit
        case .reject:
            throw PoolError.tooManyWaiters
        case .wait(let waiter):
            let nanoseconds = max(0, acquireTimeout.components.seconds) * 1_000_000_000
                + max(0, acquireTimeout.components.attoseconds) / 1_000_000_000
            if waiter.semaphore.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .success {
                grant = state.withLock { _ in waiter.grant! }  // set under the lock before the signal
            } else if let late = state.withLock({ $0.waitTimedOut(waiter) }) {
                grant = late  // handed over just as the wait timed out: use it
            } else {
                throw PoolError.timeout
            }
        }
        let pooled: PooledConnection
        switch grant {
        case .connection(let connection):
            pooled = connection
        case .openPermit:
            do {
                let connection = try openConnection(databasePath)
                if case .pool = mode {
                    checkpointer.attach(to: connection)
                    connection.writerGate = writerGate
                }
                pooled = PooledConnection(connection)
                opened.add(1, ordering: .relaxed)
            } catch {
                let actions = state.withLock { $0.openFailed() }
                perform(actions)
                throw error
            }
        }
        acquireTime.record(nanoseconds: monotonicNanoseconds() &- started)
        return pooled
    }

    private func release(_ pooled: PooledConnection, reusable: Bool) {
        let connection = pooled.connection
        connection.rollback()  // never hand a connection on with a transaction open
        connection.observer = nil
        let actions = state.withLock { $0.release(pooled, reusable: reusable) }
        perform(actions)
    }

    private func perform(_ actions: PoolStateMachine.ReleaseActions) {
        if let connection = actions.close { close(connection) }
        if let wake = actions.wake { wake.waiter.semaphore.signal() }
    }

    private func close(_ pooled: PooledConnection) {
        pooled.connection.close()
        closed.add(1, ordering: .relaxed)
    }

    /// Errors after which a connection should not be reused.
    private static func isConnectionBroken(_ error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        switch error.primaryCode {
        case SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_CANTOPEN, SQLITE_FULL: return true
        default: return false
        }
    }
}
