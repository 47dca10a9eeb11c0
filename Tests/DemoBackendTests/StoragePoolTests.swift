import Foundation
import Synchronization
import Testing
@testable import DemoBackend

@Suite("Storage: connection pool state machine")
struct StoragePoolStateMachineTests {
    @Test func waitersAreServedInArrivalOrder() {
        var machine = PoolStateMachine(mode: .pool(size: 1), maxWaiters: 8)
        guard case .open = machine.acquire(makeWaiter: PoolWaiter.init) else {
            Issue.record("first acquire should open a connection")
            return
        }
        let connection = PooledConnection(try! SQLiteConnection(path: ":memory:", create: true))
        var waiters: [PoolWaiter] = []
        for _ in 0..<3 {
            guard case .wait(let waiter) = machine.acquire(makeWaiter: PoolWaiter.init) else {
                Issue.record("pool of 1 in use: callers should wait")
                return
            }
            waiters.append(waiter)
        }
        #expect(machine.waiters.count == 3)
        for expected in waiters {
            let actions = machine.release(connection, reusable: true)
            #expect(actions.close == nil)
            #expect(actions.wake?.waiter === expected)
            guard case .connection(let handed)? = actions.wake?.grant else {
                Issue.record("waiter should be handed the connection")
                return
            }
            #expect(handed === connection)
            #expect(machine.leased == 1)
        }
        _ = machine.release(connection, reusable: true)
        #expect(machine.leased == 0)
        #expect(machine.idle.count == 1)
        #expect(machine.acquiresTotal == 4)
    }

    @Test func fullWaitQueueRejects() {
        var machine = PoolStateMachine(mode: .pool(size: 1), maxWaiters: 1)
        _ = machine.acquire(makeWaiter: PoolWaiter.init)
        guard case .wait = machine.acquire(makeWaiter: PoolWaiter.init) else { Issue.record("should wait"); return }
        guard case .reject = machine.acquire(makeWaiter: PoolWaiter.init) else { Issue.record("should reject"); return }
        #expect(machine.rejectedTotal == 1)
    }

    @Test func timedOutWaiterLeavesTheQueueUnlessAlreadyServed() {
        var machine = PoolStateMachine(mode: .pool(size: 1), maxWaiters: 4)
        _ = machine.acquire(makeWaiter: PoolWaiter.init)
        guard case .wait(let late) = machine.acquire(makeWaiter: PoolWaiter.init),
              case .wait(let served) = machine.acquire(makeWaiter: PoolWaiter.init) else {
            Issue.record("should wait")
            return
        }
        #expect(machine.waitTimedOut(late) == nil)
        #expect(machine.waiters.count == 1)
        #expect(machine.timeoutsTotal == 1)
        let connection = PooledConnection(try! SQLiteConnection(path: ":memory:", create: true))
        _ = machine.release(connection, reusable: true)  // handed to `served`
        #expect(machine.waitTimedOut(served) != nil)     // its timeout raced the hand-over: it keeps the grant
        #expect(machine.timeoutsTotal == 1)
    }

    @Test func growingThePoolLetsWaitersOpenAndShrinkingClosesExtras() {
        var machine = PoolStateMachine(mode: .pool(size: 1), maxWaiters: 4)
        _ = machine.acquire(makeWaiter: PoolWaiter.init)
        guard case .wait(let first) = machine.acquire(makeWaiter: PoolWaiter.init),
              case .wait(let second) = machine.acquire(makeWaiter: PoolWaiter.init) else {
            Issue.record("should wait")
            return
        }
        let grown = machine.setMode(.pool(size: 3))
        #expect(grown.wake.map { ObjectIdentifier($0.waiter) } == [ObjectIdentifier(first), ObjectIdentifier(second)])
        #expect(machine.leased == 3)

        let connections = (0..<3).map { _ in PooledConnection(try! SQLiteConnection(path: ":memory:", create: true)) }
        _ = machine.setMode(.pool(size: 1))
        #expect(machine.release(connections[0], reusable: true).close === connections[0])
        #expect(machine.release(connections[1], reusable: true).close === connections[1])
        #expect(machine.release(connections[2], reusable: true).close == nil)  // within the new size: kept idle
        #expect(machine.idle.count == 1)
        #expect(machine.setMode(.perRequest).close.count == 1)
    }

    @Test func poolSizeIsClamped() {
        #expect(PoolStateMachine(mode: .pool(size: 0), maxWaiters: 1).mode == .pool(size: 1))
        #expect(PoolStateMachine(mode: .pool(size: 1000), maxWaiters: 1).mode == .pool(size: 64))
    }
}

@Suite("Storage: connection provider")
final class StorageConnectionProviderTests {
    let directory: StorageTempDirectory
    let path: String

    init() throws {
        directory = try StorageTempDirectory()
        path = directory.file("pool.sqlite")
        let connection = try SQLiteConnection(path: path, create: true)
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t (v) VALUES (1)")
        connection.close()
    }

    deinit { directory.remove() }

    /// Holds a connection of `provider` on another thread until `release()`.
    final class Holder: Sendable {
        private let release = DispatchSemaphore(value: 0)
        private let thread: StorageTestThread

        init(_ provider: ConnectionProvider) {
            let release = self.release
            thread = StorageTestThread {
                try? provider.withConnection { _ in release.wait() }
            }
        }

        func letGo() {
            release.signal()
            thread.join()
        }
    }

    @Test func poolNeverExceedsItsSizeUnderConcurrentUse() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .pool(size: 3), acquireTimeout: .seconds(30))
        let current = Atomic<Int>(0)
        let highest = Atomic<Int>(0)
        let threads = (0..<8).map { _ in
            StorageTestThread {
                for _ in 0..<25 {
                    try! provider.withConnection { connection in
                        let now = current.add(1, ordering: .relaxed).newValue
                        highest.max(now, ordering: .relaxed)
                        _ = try connection.prepare("SELECT v FROM t").firstRow { $0.int(0) }
                        current.subtract(1, ordering: .relaxed)
                    }
                }
            }
        }
        threads.forEach { $0.join() }
        let probe = provider.probe
        #expect(highest.load(ordering: .relaxed) <= 3)
        #expect(probe.openedTotal <= 3)
        #expect(probe.acquiresTotal == 200)
        #expect(probe.acquireTime.count == 200)
        #expect(probe.inUse == 0 && probe.waiters == 0)
        #expect(probe.idle == Int(probe.openedTotal))
    }

    @Test func waitersAreServedFirstComeFirstServed() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .pool(size: 1), acquireTimeout: .seconds(30))
        let holder = Holder(provider)
        #expect(storageWait { provider.probe.inUse == 1 })
        let order = Mutex<[Int]>([])
        var waiters: [StorageTestThread] = []
        for index in 0..<4 {
            waiters.append(StorageTestThread {
                try! provider.withConnection { _ in order.withLock { $0.append(index) } }
            })
            // Start the next waiter only once this one is parked, so arrival order is known.
            #expect(storageWait { provider.probe.waiters == index + 1 })
        }
        holder.letGo()
        waiters.forEach { $0.join() }
        #expect(order.withLock { $0 } == [0, 1, 2, 3])
        #expect(provider.probe.openedTotal == 1)
    }

    @Test func acquireTimesOutWhenThePoolStaysBusy() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .pool(size: 1), acquireTimeout: .milliseconds(20))
        let holder = Holder(provider)
        #expect(storageWait { provider.probe.inUse == 1 })
        #expect(throws: PoolError.timeout) { try provider.withConnection { _ in } }
        #expect(provider.probe.timeoutsTotal == 1)
        #expect(provider.probe.waiters == 0)
        holder.letGo()
        #expect(try provider.withConnection { try $0.prepare("SELECT v FROM t").firstRow { $0.int(0) } } == 1)
    }

    @Test func fullWaitQueueIsRefusedAtOnce() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .pool(size: 1), acquireTimeout: .seconds(30),
                                          maxWaiters: 0)
        let holder = Holder(provider)
        #expect(storageWait { provider.probe.inUse == 1 })
        #expect(throws: PoolError.tooManyWaiters) { try provider.withConnection { _ in } }
        #expect(provider.probe.rejectedTotal == 1)
        holder.letGo()
    }

    @Test func perRequestOpensAndClosesAConnectionEachTime() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .perRequest)
        for _ in 0..<3 {
            try provider.withConnection { connection in
                #expect(connection.statistics.statements > 0)  // the pragmas of a fresh open
                _ = try connection.prepare("SELECT v FROM t").firstRow { $0.int(0) }
            }
        }
        let probe = provider.probe
        #expect(probe.openedTotal == 3)
        #expect(probe.closedTotal == 3)
        #expect(probe.idle == 0 && probe.inUse == 0)
    }

    @Test func poolReusesConnectionsAndSwitchesModeLive() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .pool(size: 2))
        for _ in 0..<5 { try provider.withConnection { _ in } }
        #expect(provider.probe.openedTotal == 1)
        #expect(provider.probe.idle == 1)
        provider.setMode(.perRequest)
        #expect(provider.probe.idle == 0)
        #expect(provider.probe.closedTotal == 1)
        try provider.withConnection { _ in }
        #expect(provider.probe.openedTotal == 2)
        #expect(provider.mode == .perRequest)
    }

    @Test func releaseRollsBackAnOpenTransactionAndClearsTheObserver() throws {
        let provider = ConnectionProvider(databasePath: path, mode: .pool(size: 1))
        try provider.withConnection { connection in
            connection.observer = CountingObserver()
            try connection.execute("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES (2)")
        }
        let (inTransaction, hasObserver, rows) = try provider.withConnection { connection in
            (connection.isInTransaction, connection.observer != nil,
             try connection.prepare("SELECT COUNT(*) FROM t").firstRow { $0.int(0) })
        }
        #expect(!inTransaction)
        #expect(!hasObserver)
        #expect(rows == 1)
    }

    @Test func failedOpenIsReportedAndFreesTheSlot() throws {
        let provider = ConnectionProvider(databasePath: directory.file("missing.sqlite"), mode: .pool(size: 1))
        #expect(throws: SQLiteError.self) { try provider.withConnection { _ in } }
        #expect(provider.probe.inUse == 0)
        #expect(!FileManager.default.fileExists(atPath: directory.file("missing.sqlite")))
    }
}
