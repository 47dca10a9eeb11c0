import Dispatch
import Synchronization
import Testing
@testable import DemoBackend

/// Unit tests of `ByteBoundedCache` and `CacheShard`: LRU by bytes, TTL on an injected clock, counters, invalidation,
/// single-flight.
@Suite("Cache: byte-bounded cache")
struct CacheByteBoundedTests {
    typealias TestCache = ByteBoundedCache<Int, String, Int>

    /// Bytes an entry with `bytes` of payload and `dependencies` dependencies is charged.
    static func charged(_ bytes: Int, dependencies: Int = 0) -> Int {
        bytes + TestCache.entryOverheadBytes + dependencies * TestCache.dependencyOverheadBytes
    }

    /// Reads `key` through the cache; a miss loads `"v<key>"` with `bytes` bytes and returns it.
    @discardableResult
    static func get(_ cache: TestCache, _ key: Int, bytes: Int = 100, cost: UInt64 = 1, dependencies: [Int] = [],
                    loads: inout Int) throws -> String {
        try cache.value(forKey: key) {
            loads += 1
            return CacheLoad(value: "v\(key)", bytes: bytes, cost: cost, dependencies: dependencies)
        }
    }

    @Test func secondReadIsAHitAndCountsSavedQueries() throws {
        let cache = TestCache(capacityBytes: 10_000, shardCount: 1)
        var loads = 0
        #expect(try Self.get(cache, 1, cost: 3, loads: &loads) == "v1")
        #expect(try Self.get(cache, 1, cost: 3, loads: &loads) == "v1")
        #expect(try Self.get(cache, 1, cost: 3, loads: &loads) == "v1")
        #expect(loads == 1)
        let s = cache.statistics
        #expect(s.hits == 2)
        #expect(s.misses == 1)
        #expect(s.queriesSaved == 6)
        #expect(s.entries == 1)
        #expect(s.bytes == Self.charged(100))
        #expect(s.capacityBytes == 10_000)
    }

    @Test func evictsLeastRecentlyUsedWhenOverBytes() throws {
        // Room for exactly three entries of 100 payload bytes.
        let cache = TestCache(capacityBytes: 3 * Self.charged(100), shardCount: 1)
        var loads = 0
        for key in 1...3 { try Self.get(cache, key, loads: &loads) }
        try Self.get(cache, 1, loads: &loads)          // 1 becomes most recent: 2 is now the oldest
        try Self.get(cache, 4, loads: &loads)          // over capacity by one entry
        #expect(cache.contains(1))
        #expect(!cache.contains(2))
        #expect(cache.contains(3))
        #expect(cache.contains(4))
        #expect(cache.statistics.evictions == 1)
        #expect(cache.statistics.bytes == 3 * Self.charged(100))
        #expect(loads == 4)
    }

    @Test func oneLargeEntryEvictsSeveralSmallOnes() throws {
        let cache = TestCache(capacityBytes: 4 * Self.charged(100), shardCount: 1)
        var loads = 0
        for key in 1...4 { try Self.get(cache, key, loads: &loads) }
        // Needs the room of three small entries (its overhead counts once).
        try Self.get(cache, 9, bytes: 3 * Self.charged(100) - TestCache.entryOverheadBytes, loads: &loads)
        #expect(cache.statistics.evictions == 3)
        #expect(cache.contains(4) && cache.contains(9))
        #expect(!cache.contains(1) && !cache.contains(2) && !cache.contains(3))
        #expect(cache.statistics.bytes <= cache.capacityBytes)
    }

    @Test func valueLargerThanCapacityIsServedButNotStored() throws {
        let cache = TestCache(capacityBytes: 1_000, shardCount: 1)
        var loads = 0
        try Self.get(cache, 1, bytes: 100, loads: &loads)
        #expect(try Self.get(cache, 2, bytes: 5_000, loads: &loads) == "v2")
        #expect(!cache.contains(2))
        #expect(cache.contains(1))   // nothing was evicted for it
        #expect(cache.statistics.evictions == 0)
    }

    @Test func ttlIsCheckedOnReadWithTheInjectedClock() throws {
        let clock = CacheManualClock()
        let cache = TestCache(capacityBytes: 10_000, ttl: .seconds(30), shardCount: 1, clock: clock.function)
        var loads = 0
        try Self.get(cache, 1, loads: &loads)
        clock.advance(.seconds(29))
        try Self.get(cache, 1, loads: &loads)
        #expect(loads == 1)
        clock.advance(.seconds(1))
        try Self.get(cache, 1, loads: &loads)   // expired: loaded again and stored with a new deadline
        #expect(loads == 2)
        #expect(cache.statistics.expirations == 1)
        clock.advance(.seconds(29))
        try Self.get(cache, 1, loads: &loads)
        #expect(loads == 2)
        let s = cache.statistics
        #expect(s.hits == 2 && s.misses == 2 && s.entries == 1)
    }

    @Test func shardKeepsRecencyOrderAndExactBytes() {
        var shard = CacheShard<String, Int, Int>(capacityBytes: 1_000)
        for (i, key) in ["a", "b", "c"].enumerated() {
            let result = shard.insert(key, value: i, bytes: 100, cost: 0, expiresAt: 10, dependencies: [i])
            #expect(result.stored && result.evicted == 0)
        }
        #expect(shard.keysByRecency == ["c", "b", "a"])
        guard case .hit(let value, _) = shard.lookup("a", now: 5) else { Issue.record("a should hit"); return }
        #expect(value == 0)
        #expect(shard.keysByRecency == ["a", "c", "b"])
        let removed = shard.remove("c")
        #expect(removed)
        #expect(shard.keysByRecency == ["a", "b"])
        #expect(shard.bytes == 200)
        // Replacing a key keeps one entry and moves it to the front.
        _ = shard.insert("b", value: 9, bytes: 300, cost: 0, expiresAt: 10, dependencies: [])
        #expect(shard.keysByRecency == ["b", "a"])
        #expect(shard.bytes == 400)
        let removedOf1 = shard.removeDependents(of: 1)
        #expect(removedOf1 == 0)   // "b" no longer depends on 1
        let removedOf0 = shard.removeDependents(of: 0)
        #expect(removedOf0 == 1)
        #expect(shard.keysByRecency == ["b"])
        guard case .expired = shard.lookup("b", now: 10) else { Issue.record("b should be expired"); return }
        #expect(shard.count == 0 && shard.bytes == 0)
        // Freed slots are reused.
        _ = shard.insert("d", value: 4, bytes: 100, cost: 0, expiresAt: 10, dependencies: [])
        #expect(shard.keysByRecency == ["d"])
    }

    @Test func reverseIndexStaysProportionalToLiveEntries() {
        // Entries come and go (evicted, replaced) without touching the reverse index; sweeps keep it bounded.
        var shard = CacheShard<Int, Int, Int>(capacityBytes: 10 * 100)
        for i in 0..<20_000 {
            _ = shard.insert(i % 50, value: i, bytes: 100, cost: 0, expiresAt: .max,
                             dependencies: [i, i + 1, -1])
        }
        #expect(shard.count == 10)
        #expect(shard.dependencyReferences <= 2 * 30 + 1024 + 3)
        // The live ones are still found through it; the evicted ones are not counted.
        let newest = shard.keysByRecency
        let removed = shard.removeDependents(of: -1)
        #expect(removed == newest.count)
        #expect(shard.count == 0 && shard.bytes == 0)
        let none = shard.removeDependents(of: 19_999)
        #expect(none == 0)
    }

    @Test func invalidateRemovesKeysAndDependentsOnly() throws {
        let cache = TestCache(capacityBytes: 100_000, shardCount: 4)
        var loads = 0
        try Self.get(cache, 1, dependencies: [100], loads: &loads)
        try Self.get(cache, 2, dependencies: [100, 200], loads: &loads)
        try Self.get(cache, 3, dependencies: [200], loads: &loads)
        try Self.get(cache, 4, loads: &loads)
        cache.invalidate(dependencies: [100])
        #expect(!cache.contains(1) && !cache.contains(2))
        #expect(cache.contains(3) && cache.contains(4))
        cache.invalidate(keys: [4])
        #expect(!cache.contains(4) && cache.contains(3))
        #expect(cache.statistics.invalidations == 3)
        #expect(cache.statistics.bytes == Self.charged(100, dependencies: 1))
        cache.removeAll()
        #expect(cache.statistics.entries == 0 && cache.statistics.bytes == 0)
        #expect(cache.statistics.invalidations == 4)
    }

    @Test func loadErrorsReachTheCallerAndAreNotStored() throws {
        let cache = TestCache(capacityBytes: 10_000, shardCount: 1)
        var loads = 0
        #expect(throws: CacheFakeStoreError.failedLoad) {
            try cache.value(forKey: 1) { () throws -> CacheLoad<String, Int> in
                loads += 1
                throw CacheFakeStoreError.failedLoad
            }
        }
        #expect(!cache.contains(1))
        #expect(try Self.get(cache, 1, loads: &loads) == "v1")
        #expect(loads == 2)
        #expect(cache.inFlightLoad(forKey: 1) == nil)
    }

    @Test func concurrentMissesOfOneKeyRunOneLoad() throws {
        let cache = TestCache(capacityBytes: 10_000)
        let k = 8
        let loads = Atomic<Int>(0)
        let loadStarted = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let results = Mutex<[String]>([])
        let threads = (0..<k).map { _ in
            CacheTestThread {
                let value = try? cache.value(forKey: 42) {
                    loads.add(1, ordering: .relaxed)
                    loadStarted.signal()
                    release.wait()
                    return CacheLoad(value: "loaded", bytes: 10, cost: 5)
                }
                results.withLock { $0.append(value ?? "error") }
            }
        }
        loadStarted.wait()
        // Hold the load until every other caller is waiting on it.
        #expect(cacheWait { cache.inFlightLoad(forKey: 42)?.waiterCount == k - 1 })
        release.signal()
        threads.forEach { $0.join() }
        #expect(loads.load(ordering: .relaxed) == 1)
        #expect(results.withLock { $0 } == Array(repeating: "loaded", count: k))
        let s = cache.statistics
        #expect(s.misses == UInt64(k))
        #expect(s.coalesced == UInt64(k - 1))
        #expect(s.queriesSaved == UInt64(5 * (k - 1)))
        #expect(cache.contains(42))
    }

    @Test func waitersShareTheLoadersError() throws {
        let cache = TestCache(capacityBytes: 10_000)
        let k = 4
        let loadStarted = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let failures = Atomic<Int>(0)
        let threads = (0..<k).map { _ in
            CacheTestThread {
                do {
                    _ = try cache.value(forKey: 1) { () throws -> CacheLoad<String, Int> in
                        loadStarted.signal()
                        release.wait()
                        throw CacheFakeStoreError.failedLoad
                    }
                } catch {
                    if error as? CacheFakeStoreError == .failedLoad { failures.add(1, ordering: .relaxed) }
                }
            }
        }
        loadStarted.wait()
        #expect(cacheWait { cache.inFlightLoad(forKey: 1)?.waiterCount == k - 1 })
        release.signal()
        threads.forEach { $0.join() }
        #expect(failures.load(ordering: .relaxed) == k)
        #expect(!cache.contains(1))
    }

    /// A load of one key running on another thread, blocked after "reading" until `finish()`.
    final class BlockedLoad: Sendable {
        private final class Outcome: Sendable {
            let value = Mutex<String?>(nil)
        }
        private let release = DispatchSemaphore(value: 0)
        private let outcome = Outcome()
        private let thread: CacheTestThread

        /// Returns once the load is running (registered in the cache and inside its load function).
        init(_ cache: TestCache, key: Int, value: String, dependencies: [Int]) {
            let started = DispatchSemaphore(value: 0)
            let release = self.release
            let outcome = self.outcome
            thread = CacheTestThread {
                let v = try? cache.value(forKey: key) {
                    started.signal()
                    release.wait()
                    return CacheLoad(value: value, bytes: 10, dependencies: dependencies)
                }
                outcome.value.withLock { $0 = v }
            }
            started.wait()
        }

        /// Lets the load return and waits for its caller; returns what the caller got.
        func finish() -> String? {
            release.signal()
            thread.join()
            return outcome.value.withLock { $0 }
        }
    }

    @Test func loadRacingAKeyInvalidationDoesNotStoreAndIsNotJoined() throws {
        let cache = TestCache(capacityBytes: 10_000)
        let stale = BlockedLoad(cache, key: 1, value: "old", dependencies: [])
        cache.invalidate(keys: [1])   // a write committed and invalidates while the load is in flight
        // A caller arriving now must not get the old value: it loads again.
        var loads = 0
        #expect(try cache.value(forKey: 1) { loads += 1; return CacheLoad(value: "new", bytes: 10) } == "new")
        #expect(stale.finish() == "old")   // concurrent with the write: either answer is allowed
        #expect(try cache.value(forKey: 1) { loads += 1; return CacheLoad(value: "newer", bytes: 10) } == "new")
        #expect(loads == 1)
    }

    @Test func loadRacingADependencyInvalidationStoresOnlyIfUnaffected() throws {
        let cache = TestCache(capacityBytes: 10_000)
        let affected = BlockedLoad(cache, key: 1, value: "page with 100", dependencies: [100, 101])
        let unaffected = BlockedLoad(cache, key: 2, value: "page without 100", dependencies: [101])
        cache.invalidate(dependencies: [100])
        #expect(affected.finish() == "page with 100")
        #expect(unaffected.finish() == "page without 100")
        #expect(!cache.contains(1))
        #expect(cache.contains(2))
    }

    @Test func callersAfterADependencyInvalidationDoNotJoinTheOlderLoad() throws {
        let cache = TestCache(capacityBytes: 10_000)
        let stale = BlockedLoad(cache, key: 1, value: "page before the write", dependencies: [100])
        cache.invalidate(dependencies: [100])
        // Which dependencies the in-flight page has is unknown until it arrives: a new caller must load afresh
        // rather than wait for it. (On another thread with a deadline, so a regression fails instead of hanging.)
        let got = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let caller = CacheTestThread {
            let value = try? cache.value(forKey: 1) {
                CacheLoad(value: "page after the write", bytes: 10, dependencies: [100])
            }
            got.withLock { $0 = value }
            done.signal()
        }
        let loadedAlone = done.wait(timeout: .now() + .seconds(10)) == .success
        #expect(loadedAlone, "the caller waited for the load that began before the write")
        #expect(stale.finish() == "page before the write")
        caller.join()
        #expect(got.withLock { $0 } == "page after the write")
        var loads = 0
        #expect(try cache.value(forKey: 1) { loads += 1; return CacheLoad(value: "x", bytes: 10) } == "page after the write")
        #expect(loads == 0)
    }

    @Test func removeAllDuringALoadKeepsItFromStoring() throws {
        let cache = TestCache(capacityBytes: 10_000)
        let load = BlockedLoad(cache, key: 1, value: "before", dependencies: [])
        cache.removeAll()
        #expect(load.finish() == "before")
        #expect(!cache.contains(1))
        #expect(cache.inFlightLoad(forKey: 1) == nil)
    }
}
