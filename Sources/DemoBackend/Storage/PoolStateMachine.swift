import Dispatch

/// Boxes a connection so it can sit in the pool's locked state and move to the thread that leases it.
///
/// `@unchecked Sendable` is safe because a `PooledConnection` is only ever used by one thread at a time: it is either
/// idle (touched only under the pool's mutex) or leased to exactly one caller of `withConnection`, and the hand-over
/// goes through the pool's mutex (or a waiter's semaphore signalled after the mutex), which orders the previous
/// holder's last use before the next holder's first use.
final class PooledConnection: @unchecked Sendable {
    let connection: SQLiteConnection
    init(_ connection: SQLiteConnection) { self.connection = connection }
}

/// A caller parked in the pool's FIFO queue until a connection (or the right to open one) is handed to it.
///
/// `@unchecked Sendable`: `grant` is read and written only under the pool's mutex; the semaphore is thread-safe.
final class PoolWaiter: @unchecked Sendable {
    let semaphore = DispatchSemaphore(value: 0)
    var grant: PoolGrant?
}

/// What a caller is given: an idle connection, or permission to open a new one (counted as leased already).
enum PoolGrant: Sendable {
    case connection(PooledConnection)
    case openPermit
}

/// The pool's bookkeeping as a pure value (postgres-nio style): each event returns the actions to perform outside
/// the lock (open, close, wake a waiter). No I/O, no clock, no threads: unit tests drive it directly.
struct PoolStateMachine {
    private(set) var mode: ConnectionProvider.PoolMode
    /// Idle connections, most recently released last (reused first: its pages are warm).
    private(set) var idle: [PooledConnection] = []
    /// Connections handed out, or being opened for a caller that holds an open permit.
    private(set) var leased = 0
    /// Parked callers, oldest first.
    private(set) var waiters: [PoolWaiter] = []
    let maxWaiters: Int

    private(set) var acquiresTotal: UInt64 = 0
    private(set) var timeoutsTotal: UInt64 = 0
    private(set) var rejectedTotal: UInt64 = 0

    init(mode: ConnectionProvider.PoolMode, maxWaiters: Int) {
        self.mode = mode.clamped
        self.maxWaiters = max(0, maxWaiters)
    }

    enum AcquireAction {
        /// Use this idle connection.
        case use(PooledConnection)
        /// Open a new connection (a lease is already counted: call `openFailed` if opening fails).
        case open
        /// Park on this waiter's semaphore (it was queued).
        case wait(PoolWaiter)
        /// The wait queue is full.
        case reject
    }

    /// Number of connections that exist or are being opened.
    var total: Int { leased + idle.count }

    /// A caller wants a connection. `makeWaiter` is called only when it has to wait (no allocation otherwise).
    mutating func acquire(makeWaiter: () -> PoolWaiter) -> AcquireAction {
        switch mode {
        case .perRequest:
            leased += 1
            acquiresTotal += 1
            return .open
        case .pool(let size):
            if let connection = idle.popLast() {
                leased += 1
                acquiresTotal += 1
                return .use(connection)
            }
            if total < size {
                leased += 1
                acquiresTotal += 1
                return .open
            }
            if waiters.count >= maxWaiters {
                rejectedTotal += 1
                return .reject
            }
            let waiter = makeWaiter()
            waiters.append(waiter)
            return .wait(waiter)
        }
    }

    /// Actions after a release or failed open: at most one connection to close and one waiter to wake.
    struct ReleaseActions {
        var close: PooledConnection?
        var wake: (waiter: PoolWaiter, grant: PoolGrant)?
    }

    /// A leased connection comes back. `reusable` is false when it must be closed (broken, or per-request mode).
    mutating func release(_ connection: PooledConnection, reusable: Bool) -> ReleaseActions {
        guard case .pool(let size) = mode, reusable else {
            leased -= 1
            var actions = ReleaseActions(close: connection)
            actions.wake = grantOpenPermitIfRoom()
            return actions
        }
        if total > size {  // the pool was shrunk: retire this one
            leased -= 1
            return ReleaseActions(close: connection)
        }
        if !waiters.isEmpty {  // hand over directly: the lease moves to the oldest waiter
            let waiter = waiters.removeFirst()
            acquiresTotal += 1
            waiter.grant = .connection(connection)
            return ReleaseActions(wake: (waiter, .connection(connection)))
        }
        leased -= 1
        idle.append(connection)
        return ReleaseActions()
    }

    /// Opening a connection for a lease failed: the lease is void, and a waiter may try instead.
    mutating func openFailed() -> ReleaseActions {
        leased -= 1
        return ReleaseActions(wake: grantOpenPermitIfRoom())
    }

    /// A parked caller's wait timed out. Returns its grant if one was handed over meanwhile, else removes it from
    /// the queue, counts the timeout and returns nil.
    mutating func waitTimedOut(_ waiter: PoolWaiter) -> PoolGrant? {
        if let grant = waiter.grant { return grant }
        if let index = waiters.firstIndex(where: { $0 === waiter }) {
            waiters.remove(at: index)
        }
        timeoutsTotal += 1
        return nil
    }

    /// Actions after a mode change: idle connections beyond the new size to close, waiters that may now open one.
    struct ModeChangeActions {
        var close: [PooledConnection] = []
        var wake: [(waiter: PoolWaiter, grant: PoolGrant)] = []
    }

    mutating func setMode(_ newMode: ConnectionProvider.PoolMode) -> ModeChangeActions {
        mode = newMode.clamped
        var actions = ModeChangeActions()
        switch mode {
        case .perRequest:
            actions.close = idle
            idle.removeAll()
        case .pool(let size):
            while total > size, let connection = idle.popLast() {
                actions.close.append(connection)
            }
        }
        while let wake = grantOpenPermitIfRoom() {
            actions.wake.append(wake)
        }
        return actions
    }

    /// Takes all idle connections out (to close them).
    mutating func drainIdle() -> [PooledConnection] {
        defer { idle.removeAll() }
        return idle
    }

    /// Lets the oldest waiter open a connection if the mode allows one more.
    private mutating func grantOpenPermitIfRoom() -> (waiter: PoolWaiter, grant: PoolGrant)? {
        guard !waiters.isEmpty else { return nil }
        if case .pool(let size) = mode, total >= size { return nil }
        let waiter = waiters.removeFirst()
        leased += 1
        acquiresTotal += 1
        waiter.grant = .openPermit
        return (waiter, .openPermit)
    }
}
