import Metrics
import Synchronization

/// An in-process cache bounded by bytes: least-recently-used eviction when over capacity, a TTL checked on read,
/// single-flight loading (concurrent misses of one key run one load), and invalidation by key or by dependency that
/// also covers loads still in flight.
///
/// Entries are spread over shards by key hash, each behind its own `Mutex`, so threads serving different keys rarely
/// meet on a lock; a key is hashed once per call (shards store it with its hash). Counters live in the shards, under
/// the lock a call takes anyway, rather than in shared atomics that every hit would bounce between cores. Sizes are
/// estimates supplied by the loader (plus a fixed per-entry overhead); capacity is divided evenly between the shards.
///
/// Invalidation rule: a writer changes the data first, then calls `invalidate` before it returns. An entry stored
/// before the call is removed by it; a load that was in flight during it does not store its (possibly pre-write)
/// value if the invalidation applies to it, and is not joined by callers arriving afterwards; a load that starts
/// after it reads the new data.
final class ByteBoundedCache<Key: Hashable & Sendable, Value: Sendable, Dependency: Hashable & Sendable>: Sendable {
    /// Counters and gauges at one moment (counters since creation).
    struct Statistics: Sendable, Equatable {
        /// Lookups served from a stored entry.
        var hits: UInt64 = 0
        /// Lookups that found no fresh entry (each either loaded or waited for another caller's load).
        var misses: UInt64 = 0
        /// Misses that waited for a load already in flight instead of loading (part of `misses`).
        var coalesced: UInt64 = 0
        /// Entries dropped to stay within capacity.
        var evictions: UInt64 = 0
        /// Entries found past their TTL (dropped on read).
        var expirations: UInt64 = 0
        /// Entries dropped by `invalidate` and `removeAll`.
        var invalidations: UInt64 = 0
        /// Entries rewritten in place by `update`.
        var updates: UInt64 = 0
        /// Sum of the stored cost (DB statements) of every value served without loading it.
        var queriesSaved: UInt64 = 0
        var entries = 0
        var bytes = 0
        var capacityBytes = 0
    }

    /// Bytes charged per entry on top of the loader's estimate: its slot in the shard's parallel arrays (plain data,
    /// key, value) and its index entry (dictionaries run up to 3/4 full). An estimate from the types' layouts, like
    /// the loader's.
    static var entryOverheadBytes: Int {
        let key = MemoryLayout<HashedKey>.stride
        return 56 + key + MemoryLayout<Value?>.stride + (key + 8) * 4 / 3
    }

    /// Bytes charged per dependency of an entry: its reference in the reverse index (8 bytes, counted twice: stale
    /// references may double it before a sweep) and, at worst, a dictionary entry and array header of its own.
    static var dependencyOverheadBytes: Int {
        16 + (MemoryLayout<Dependency>.stride + 8) * 4 / 3 + 32
    }

    /// Total capacity (each shard holds `capacityBytes / shardCount`).
    let capacityBytes: Int
    let ttlNanoseconds: UInt64

    private final class Shard: Sendable {
        let state: Mutex<CacheShard<HashedKey, Value, Dependency>>
        init(capacityBytes: Int) { state = Mutex(CacheShard(capacityBytes: capacityBytes)) }
    }

    /// A key with its hash computed once: picking the shard and the shard's dictionary lookups reuse it.
    struct HashedKey: Hashable, Sendable {
        let key: Key
        let hash: Int
        init(_ key: Key) {
            self.key = key
            hash = key.hashValue
        }
        static func == (a: HashedKey, b: HashedKey) -> Bool { a.hash == b.hash && a.key == b.key }
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }

    private enum Step: Sendable {
        case hit(Value)
        case wait(InFlightLoad<Value, Dependency>)
        case load(InFlightLoad<Value, Dependency>)
    }

    private let shards: [Shard]
    private let clock: @Sendable () -> UInt64
    /// Waits for another caller's load end outside the shard lock: these two are atomics.
    private let coalesced = Counter()
    private let coalescedQueriesSaved = Counter()

    /// - Parameters:
    ///   - capacityBytes: bytes the cache may hold in total. Default 32 MiB.
    ///   - ttl: how long a stored value may be served. Default 30 s.
    ///   - shardCount: lock shards (rounded up to a power of two, at least 1). Default 16: with 2–8 serving threads,
    ///     two requests rarely need the same shard at the same moment.
    ///   - clock: monotonic nanoseconds (tests inject a manual clock to step TTLs without sleeping).
    init(capacityBytes: Int = 32 << 20, ttl: Duration = .seconds(30), shardCount: Int = 16,
         clock: @escaping @Sendable () -> UInt64 = { MonotonicClock.nanoseconds() }) {
        var count = 1
        while count < shardCount { count <<= 1 }
        self.capacityBytes = max(0, capacityBytes)
        let (seconds, attoseconds) = ttl.components
        ttlNanoseconds = UInt64(max(0, seconds)) &* 1_000_000_000 &+ UInt64(max(0, attoseconds) / 1_000_000_000)
        shards = (0..<count).map { _ in Shard(capacityBytes: max(0, capacityBytes) / count) }
        self.clock = clock
    }

    /// The value for `key`: from the cache when stored and fresh; otherwise from `load`, run by exactly one of the
    /// callers that miss `key` concurrently (the others wait and share its value or its error). A loaded value is
    /// stored unless an invalidation during the load applies to it; errors are never stored.
    ///
    /// `load` runs on the calling thread without any cache lock held. It must not ask this cache for the same key.
    func value(forKey key: Key, load: () throws -> CacheLoad<Value, Dependency>) throws -> Value {
        let key = HashedKey(key)
        let shard = shards[shardIndex(key)]
        let now = clock()
        let step: Step = shard.state.withLock { s in
            if case .hit(let value, _) = s.lookup(key, now: now) { return .hit(value) }
            s.counters.misses &+= 1
            if let flight = s.flights[key], flight.join() { return .wait(flight) }
            // No load in flight, or one that an invalidation touched: start a new one (replacing it in the table;
            // the old one still serves its own waiters but will not store).
            let flight = InFlightLoad<Value, Dependency>()
            s.flights[key] = flight
            return .load(flight)
        }
        switch step {
        case .hit(let value):
            return value
        case .wait(let flight):
            coalesced.increment()
            let loaded = try flight.wait().get()
            coalescedQueriesSaved.increment(by: loaded.cost)
            return loaded.value
        case .load(let flight):
            let result: Result<CacheLoad<Value, Dependency>, any Error>
            do { result = .success(try load()) } catch { result = .failure(error) }
            let ttl = ttlNanoseconds
            let clock = self.clock
            shard.state.withLock { s in
                guard s.flights[key] === flight else { return }   // replaced after an invalidation: don't store
                s.flights[key] = nil
                guard case .success(let loaded) = result, flight.mayStore(loaded) else { return }
                let bytes = loaded.bytes + Self.entryOverheadBytes
                    + loaded.dependencies.count * Self.dependencyOverheadBytes
                s.insert(key, value: loaded.value, bytes: bytes, cost: loaded.cost, expiresAt: clock() &+ ttl,
                         dependencies: loaded.dependencies)
            }
            flight.complete(result)
            return try result.get().value
        }
    }

    /// The stored fresh value for `key` (a hit, counted as one), or nil — counting nothing and loading nothing, so a
    /// caller that then goes through `value(forKey:load:)` is counted once. For a fast path that only serves hits.
    func peek(_ key: Key) -> Value? {
        let key = HashedKey(key)
        let now = clock()
        return shards[shardIndex(key)].state.withLock { s in
            if case .hit(let value, _) = s.lookup(key, now: now) { return value }
            return nil
        }
    }

    /// Removes the entries of `keys` and every entry depending on one of `dependencies`, and makes sure loads in
    /// flight for them do not store or hand their value to later callers. Call after the change is durable and
    /// before reporting it done. Takes each shard lock at most once (all of them when `dependencies` is not empty).
    func invalidate(keys: [Key] = [], dependencies: [Dependency] = []) {
        if keys.isEmpty && dependencies.isEmpty { return }
        let hashed = keys.map(HashedKey.init)
        let keyShards = hashed.map(shardIndex)
        for (i, shard) in shards.enumerated() {
            if dependencies.isEmpty && !keyShards.contains(i) { continue }
            shard.state.withLock { s in
                var n = 0
                for (key, keyShard) in zip(hashed, keyShards) where keyShard == i {
                    if s.remove(key) { n += 1 }
                    s.flights[key]?.poison()
                }
                if !dependencies.isEmpty {
                    for dependency in dependencies { n += s.removeDependents(of: dependency) }
                    for flight in s.flights.values { flight.mark(dependencies) }
                }
                s.counters.invalidations &+= UInt64(n)
            }
        }
    }

    /// Rewrites stored entries in place instead of removing them: the entries of `keys` and every entry depending on
    /// one of `dependencies` go through `transform`, which returns the new value and its estimated bytes (as a loader
    /// would), or nil to remove the entry. Loads in flight for them do not store and are not joined (exactly as with
    /// `invalidate`: they may have read before the change).
    ///
    /// `transform` runs outside the shard locks (re-encoding a page must not stall hits on its shard); an entry that
    /// was removed or replaced meanwhile is left alone (whoever replaced it loaded after the change). Call after the
    /// change is durable and before reporting it done; calls that rewrite the same entries must not overlap (the
    /// caller serialises them), so the last write's value is the one that stays.
    func update(keys: [Key] = [], dependencies: [Dependency] = [],
                _ transform: (Key, Value) -> (value: Value, bytes: Int)?) {
        if keys.isEmpty && dependencies.isEmpty { return }
        typealias Found = (shard: Int, handle: CacheShard<HashedKey, Value, Dependency>.EntryHandle, key: Key, value: Value)
        let hashed = keys.map(HashedKey.init)
        let keyShards = hashed.map(shardIndex)
        var found: [Found] = []
        for (i, shard) in shards.enumerated() {
            if dependencies.isEmpty && !keyShards.contains(i) { continue }
            shard.state.withLock { s in
                var seen = Set<CacheShard<HashedKey, Value, Dependency>.EntryHandle>()
                for (key, keyShard) in zip(hashed, keyShards) where keyShard == i {
                    s.flights[key]?.poison()
                    if let (handle, value) = s.entry(key), seen.insert(handle).inserted {
                        found.append((i, handle, key.key, value))
                    }
                }
                if !dependencies.isEmpty {
                    for dependency in dependencies {
                        for entry in s.dependentEntries(of: dependency) where seen.insert(entry.handle).inserted {
                            found.append((i, entry.handle, entry.key.key, entry.value))
                        }
                    }
                    for flight in s.flights.values { flight.mark(dependencies) }
                }
            }
        }
        if found.isEmpty { return }
        let rewritten = found.map { transform($0.key, $0.value) }
        var index = 0
        while index < found.count {
            let shardIndex = found[index].shard
            var end = index
            while end < found.count && found[end].shard == shardIndex { end += 1 }
            shards[shardIndex].state.withLock { s in
                for i in index..<end {
                    if let new = rewritten[i] {
                        s.replace(found[i].handle, value: new.value, bytes: new.bytes + Self.entryOverheadBytes
                                  + s.dependencyCount(found[i].handle) * Self.dependencyOverheadBytes)
                    } else if s.remove(found[i].handle) {
                        s.counters.invalidations &+= 1
                    }
                }
            }
            index = end
        }
    }

    /// Removes every entry; loads in flight will not store.
    func removeAll() {
        for shard in shards {
            shard.state.withLock { s in
                s.counters.invalidations &+= UInt64(s.count)
                s.removeAll()
                for flight in s.flights.values { flight.poison() }
            }
        }
    }

    /// Whether a value for `key` is stored (fresh or not). No side effects: for tests and diagnostics.
    func contains(_ key: Key) -> Bool {
        let key = HashedKey(key)
        return shards[shardIndex(key)].state.withLock { $0.contains(key) }
    }

    /// The load in flight for `key`, if any (tests coordinate on its waiters).
    func inFlightLoad(forKey key: Key) -> InFlightLoad<Value, Dependency>? {
        let key = HashedKey(key)
        return shards[shardIndex(key)].state.withLock { $0.flights[key] }
    }

    /// Counters and current size. Takes each shard lock briefly (cheap at the probe's 10 Hz).
    var statistics: Statistics {
        var stats = Statistics()
        stats.coalesced = coalesced.value
        stats.queriesSaved = coalescedQueriesSaved.value
        stats.capacityBytes = capacityBytes
        for shard in shards {
            let (counters, entries, bytes) = shard.state.withLock { ($0.counters, $0.count, $0.bytes) }
            stats.hits += counters.hits
            stats.misses += counters.misses
            stats.evictions += counters.evictions
            stats.expirations += counters.expirations
            stats.invalidations += counters.invalidations
            stats.updates += counters.updates
            stats.queriesSaved += counters.queriesSaved
            stats.entries += entries
            stats.bytes += bytes
        }
        return stats
    }

    private func shardIndex(_ key: HashedKey) -> Int {
        // The high bits: the dictionaries inside a shard re-hash, so shard choice and bucket choice stay independent.
        Int(truncatingIfNeeded: UInt(bitPattern: key.hash) >> 48) & (shards.count - 1)
    }
}
