/// One shard of a `ByteBoundedCache`: its entries in least-recently-used order, their byte total, a reverse index
/// from dependency to the entries that depend on it, the loads in flight for its keys, and its counters.
///
/// A pure value with no locking, no clock and no threads: the cache keeps each shard in a `Mutex` and passes the time
/// in; unit tests drive it directly.
struct CacheShard<Key: Hashable & Sendable, Value: Sendable, Dependency: Hashable & Sendable>: Sendable {
    /// The plain-data part of a stored entry. Entries are kept as parallel arrays indexed by slot (keys, values,
    /// dependencies, this), so a hit reads and relinks plain numbers and copies (retains) only the value it returns.
    private struct Slot {
        /// Estimated footprint, overhead included.
        var bytes: Int
        /// What producing the value cost (DB statements): what a hit saves.
        var cost: UInt64
        /// Monotonic nanoseconds after which the entry is not served.
        var expiresAt: UInt64
        /// Neighbours in recency order (-1 = none).
        var newer: Int
        var older: Int
    }

    enum Lookup: Sendable {
        case hit(Value, cost: UInt64)
        /// The entry was there but past its TTL; it has been removed.
        case expired
        case absent
    }

    /// Counts since creation, kept under the shard's lock (no shared atomics on the hit path).
    struct Counters: Sendable {
        var hits: UInt64 = 0
        var misses: UInt64 = 0
        var evictions: UInt64 = 0
        var expirations: UInt64 = 0
        var invalidations: UInt64 = 0
        var queriesSaved: UInt64 = 0
    }

    /// Bytes this shard may hold.
    let capacityBytes: Int
    /// Sum of the stored entries' `bytes`.
    private(set) var bytes = 0
    var counters = Counters()
    private var slots: [Slot] = []
    /// Nil in free slots.
    private var keys: [Key?] = []
    private var values: [Value?] = []
    private var slotDependencies: [[Dependency]] = []
    private var freeSlots: [Int] = []
    private var index: [Key: Int] = [:]
    /// Most and least recently used slots (-1 when empty).
    private var newest = -1
    private var oldest = -1
    /// Which stored keys depend on a dependency (kept exact: entries leave it when they leave the shard).
    private var dependents: [Dependency: Set<Key>] = [:]
    /// Loads in progress for keys of this shard (single-flight). Guarded by the same lock as the entries, so an
    /// invalidation and the loader's decision to store are ordered.
    var flights: [Key: InFlightLoad<Value, Dependency>] = [:]

    init(capacityBytes: Int) {
        self.capacityBytes = max(0, capacityBytes)
    }

    /// Stored entries (expired ones included until they are read or evicted).
    var count: Int { index.count }

    /// The stored keys, most recently used first (tests and diagnostics).
    var keysByRecency: [Key] {
        var result: [Key] = []
        var slot = newest
        while slot >= 0, let key = keys[slot] {
            result.append(key)
            slot = slots[slot].older
        }
        return result
    }

    func contains(_ key: Key) -> Bool { index[key] != nil }

    /// The value for `key` if present and fresh at `now` (and marks it most recently used). An expired entry is
    /// removed here: the TTL is checked on read. Counts the hit, or the expiry.
    mutating func lookup(_ key: Key, now: UInt64) -> Lookup {
        guard let slot = index[key], let value = values[slot] else { return .absent }
        if now >= slots[slot].expiresAt {
            remove(slot: slot)
            counters.expirations &+= 1
            return .expired
        }
        moveToNewest(slot)
        let cost = slots[slot].cost
        counters.hits &+= 1
        counters.queriesSaved &+= cost
        return .hit(value, cost: cost)
    }

    /// Stores `value` (replacing an entry of the same key), then evicts least recently used entries until the shard
    /// is within capacity. Returns whether the value was stored (a value larger than the whole shard is not) and
    /// how many other entries were evicted (also counted).
    @discardableResult
    mutating func insert(_ key: Key, value: Value, bytes: Int, cost: UInt64, expiresAt: UInt64,
                         dependencies: [Dependency]) -> (stored: Bool, evicted: Int) {
        if let existing = index[key] { remove(slot: existing) }
        guard bytes <= capacityBytes else { return (false, 0) }
        let plain = Slot(bytes: bytes, cost: cost, expiresAt: expiresAt, newer: -1, older: newest)
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
            slots[slot] = plain
            keys[slot] = key
            values[slot] = value
            slotDependencies[slot] = dependencies
        } else {
            slot = slots.count
            slots.append(plain)
            keys.append(key)
            values.append(value)
            slotDependencies.append(dependencies)
        }
        if newest >= 0 { slots[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
        index[key] = slot
        self.bytes += bytes
        for dependency in dependencies {
            dependents[dependency, default: []].insert(key)
        }
        var evicted = 0
        while self.bytes > capacityBytes, oldest >= 0, oldest != slot {
            remove(slot: oldest)
            evicted += 1
        }
        counters.evictions &+= UInt64(evicted)
        return (true, evicted)
    }

    /// Removes the entry for `key`; returns whether there was one.
    @discardableResult
    mutating func remove(_ key: Key) -> Bool {
        guard let slot = index[key] else { return false }
        remove(slot: slot)
        return true
    }

    /// Removes every entry that depends on `dependency`; returns how many.
    @discardableResult
    mutating func removeDependents(of dependency: Dependency) -> Int {
        guard let keys = dependents.removeValue(forKey: dependency) else { return 0 }
        var removed = 0
        for key in keys where remove(key) { removed += 1 }
        return removed
    }

    /// Removes every entry (loads in flight are the caller's business).
    mutating func removeAll() {
        slots.removeAll()
        keys.removeAll()
        values.removeAll()
        slotDependencies.removeAll()
        freeSlots.removeAll()
        index.removeAll()
        dependents.removeAll()
        newest = -1
        oldest = -1
        bytes = 0
    }

    // MARK: Private

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (slots[slot].newer, slots[slot].older)
        if newer >= 0 { slots[newer].older = older } else { newest = older }
        if older >= 0 { slots[older].newer = newer } else { oldest = newer }
    }

    private mutating func moveToNewest(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        slots[slot].newer = -1
        slots[slot].older = newest
        if newest >= 0 { slots[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func remove(slot: Int) {
        guard let key = keys[slot] else { return }
        unlink(slot)
        keys[slot] = nil
        values[slot] = nil
        let dependencies = slotDependencies[slot]
        slotDependencies[slot] = []
        freeSlots.append(slot)
        index[key] = nil
        bytes -= slots[slot].bytes
        for dependency in dependencies {
            // In place (the set may already be gone when `removeDependents` is what removes this entry).
            if dependents[dependency]?.remove(key) != nil, dependents[dependency]?.isEmpty == true {
                dependents[dependency] = nil
            }
        }
    }
}
