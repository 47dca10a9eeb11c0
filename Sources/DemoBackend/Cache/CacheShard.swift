/// One shard of a `ByteBoundedCache`: its entries in least-recently-used order, their byte total, a reverse index
/// from dependency to the entries that depend on it, and the loads in flight for its keys.
///
/// A pure value with no locking, no clock and no threads: the cache keeps each shard in a `Mutex` and passes the time
/// in; unit tests drive it directly.
struct CacheShard<Key: Hashable & Sendable, Value: Sendable, Dependency: Hashable & Sendable>: Sendable {
    /// A stored value with its bookkeeping. Entries live in `slots` and form a doubly linked list by slot index
    /// (no per-entry object, so an insert or a touch allocates nothing once the slots exist).
    struct Entry: Sendable {
        var key: Key
        var value: Value
        /// Estimated footprint, overhead included.
        var bytes: Int
        /// What producing the value cost (DB statements): what a hit saves.
        var cost: UInt64
        /// Monotonic nanoseconds after which the entry is not served.
        var expiresAt: UInt64
        var dependencies: [Dependency]
        /// Neighbours in recency order (slot indices, -1 = none).
        var newer: Int
        var older: Int
    }

    enum Lookup: Sendable {
        case hit(Value, cost: UInt64)
        /// The entry was there but past its TTL; it has been removed.
        case expired
        case absent
    }

    /// Bytes this shard may hold.
    let capacityBytes: Int
    /// Sum of the stored entries' `bytes`.
    private(set) var bytes = 0
    private var slots: [Entry?] = []
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
        var keys: [Key] = []
        var slot = newest
        while slot >= 0, let entry = slots[slot] {
            keys.append(entry.key)
            slot = entry.older
        }
        return keys
    }

    func contains(_ key: Key) -> Bool { index[key] != nil }

    /// The value for `key` if present and fresh at `now` (and marks it most recently used). An expired entry is
    /// removed here: the TTL is checked on read.
    mutating func lookup(_ key: Key, now: UInt64) -> Lookup {
        guard let slot = index[key], let entry = slots[slot] else { return .absent }
        if now >= entry.expiresAt {
            remove(slot: slot)
            return .expired
        }
        moveToNewest(slot)
        return .hit(entry.value, cost: entry.cost)
    }

    /// Stores `value` (replacing an entry of the same key), then evicts least recently used entries until the shard
    /// is within capacity. Returns whether the value was stored (a value larger than the whole shard is not) and
    /// how many other entries were evicted.
    mutating func insert(_ key: Key, value: Value, bytes: Int, cost: UInt64, expiresAt: UInt64,
                         dependencies: [Dependency]) -> (stored: Bool, evicted: Int) {
        if let existing = index[key] { remove(slot: existing) }
        guard bytes <= capacityBytes else { return (false, 0) }
        let entry = Entry(key: key, value: value, bytes: bytes, cost: cost, expiresAt: expiresAt,
                          dependencies: dependencies, newer: -1, older: newest)
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
            slots[slot] = entry
        } else {
            slot = slots.count
            slots.append(entry)
        }
        if newest >= 0 { slots[newest]?.newer = slot }
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
        freeSlots.removeAll()
        index.removeAll()
        dependents.removeAll()
        newest = -1
        oldest = -1
        bytes = 0
    }

    // MARK: Private

    private mutating func unlink(_ slot: Int) {
        guard let entry = slots[slot] else { return }
        if entry.newer >= 0 { slots[entry.newer]?.older = entry.older } else { newest = entry.older }
        if entry.older >= 0 { slots[entry.older]?.newer = entry.newer } else { oldest = entry.newer }
    }

    private mutating func moveToNewest(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        slots[slot]?.newer = -1
        slots[slot]?.older = newest
        if newest >= 0 { slots[newest]?.newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func remove(slot: Int) {
        guard let entry = slots[slot] else { return }
        unlink(slot)
        slots[slot] = nil
        freeSlots.append(slot)
        index[entry.key] = nil
        bytes -= entry.bytes
        for dependency in entry.dependencies {
            // In place (the set may already be gone when `removeDependents` is what removes this entry).
            if dependents[dependency]?.remove(entry.key) != nil, dependents[dependency]?.isEmpty == true {
                dependents[dependency] = nil
            }
        }
    }
}
