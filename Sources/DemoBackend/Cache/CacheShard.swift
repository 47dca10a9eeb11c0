/// One shard of a `ByteBoundedCache`: its entries in least-recently-used order, their byte total, a reverse index
/// from dependency to the entries that depend on it, the loads in flight for its keys, and its counters.
///
/// The reverse index is cleaned lazily: removing an entry (eviction, expiry, invalidation) does no work in it; its
/// references just stop matching (each slot carries a generation, bumped when its entry leaves). Invalidating a
/// dependency removes the entries its references still match. Stale references are swept once they outnumber the
/// live ones two to one, so the index stays within a constant factor of the live entries at O(1) amortised cost.
/// (Eager removal from per-dependency sets cost ~7 µs per removed list page — 21 dependencies, each a hashed set
/// deletion — which made every favorite hold shard locks for hundreds of µs.)
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
        /// Dependencies of the entry (its live references in the reverse index).
        var dependencyCount: Int
        /// Bumped when the entry leaves the slot, so references to it stop matching.
        var generation: UInt32
    }

    /// One entry of the reverse index: "the entry in `slot`, while its generation is `generation`".
    private struct Reference {
        var slot: Int32
        var generation: UInt32
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
        /// Entries rewritten in place by a write (`replace`) instead of being removed.
        var updates: UInt64 = 0
        var queriesSaved: UInt64 = 0
    }

    /// Where an entry was found: `replace` and `remove(_:)` act on it only while it is still that entry.
    struct EntryHandle: Hashable, Sendable {
        fileprivate var slot: Int
        fileprivate var generation: UInt32
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
    private var freeSlots: [Int] = []
    private var index: [Key: Int] = [:]
    /// Most and least recently used slots (-1 when empty).
    private var newest = -1
    private var oldest = -1
    /// Which entries depend on a dependency (possibly stale references; see the type's comment).
    private var dependents: [Dependency: [Reference]] = [:]
    /// References stored in `dependents`, and how many of them belong to live entries.
    private(set) var dependencyReferences = 0
    private var liveDependencyReferences = 0
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
        var plain = Slot(bytes: bytes, cost: cost, expiresAt: expiresAt, newer: -1, older: newest,
                         dependencyCount: dependencies.count, generation: 0)
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
            plain.generation = slots[slot].generation
            slots[slot] = plain
            keys[slot] = key
            values[slot] = value
        } else {
            slot = slots.count
            slots.append(plain)
            keys.append(key)
            values.append(value)
        }
        if newest >= 0 { slots[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
        index[key] = slot
        self.bytes += bytes
        let reference = Reference(slot: Int32(truncatingIfNeeded: slot), generation: plain.generation)
        for dependency in dependencies {
            dependents[dependency, default: []].append(reference)
        }
        dependencyReferences += dependencies.count
        liveDependencyReferences += dependencies.count
        var evicted = 0
        while self.bytes > capacityBytes, oldest >= 0, oldest != slot {
            remove(slot: oldest)
            evicted += 1
        }
        counters.evictions &+= UInt64(evicted)
        if dependencyReferences > 2 * liveDependencyReferences + 1024 { sweepDependents() }
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
        guard let references = dependents.removeValue(forKey: dependency) else { return 0 }
        dependencyReferences -= references.count
        var removed = 0
        for reference in references where isLive(reference) {
            remove(slot: Int(reference.slot))
            removed += 1
        }
        return removed
    }

    /// The entry for `key` (fresh or not), without touching recency or counters.
    func entry(_ key: Key) -> (handle: EntryHandle, value: Value)? {
        guard let slot = index[key], let value = values[slot] else { return nil }
        return (EntryHandle(slot: slot, generation: slots[slot].generation), value)
    }

    /// The entries depending on `dependency`, without removing them.
    func dependentEntries(of dependency: Dependency) -> [(handle: EntryHandle, key: Key, value: Value)] {
        guard let references = dependents[dependency] else { return [] }
        var found: [(handle: EntryHandle, key: Key, value: Value)] = []
        for reference in references where isLive(reference) {
            let slot = Int(reference.slot)
            if let key = keys[slot], let value = values[slot] {
                found.append((EntryHandle(slot: slot, generation: reference.generation), key, value))
            }
        }
        return found
    }

    /// Rewrites the value of the entry `handle` found, if it is still there (not removed or replaced since), keeping
    /// its recency, expiry, cost and dependencies; then evicts least recently used entries if the new size is over
    /// capacity. Returns whether it rewrote.
    @discardableResult
    mutating func replace(_ handle: EntryHandle, value: Value, bytes: Int) -> Bool {
        guard isCurrent(handle) else { return false }
        values[handle.slot] = value
        self.bytes += bytes - slots[handle.slot].bytes
        slots[handle.slot].bytes = bytes
        counters.updates &+= 1
        var evicted = 0
        while self.bytes > capacityBytes, oldest >= 0, oldest != handle.slot {
            remove(slot: oldest)
            evicted += 1
        }
        counters.evictions &+= UInt64(evicted)
        return true
    }

    /// Removes the entry `handle` found, if it is still there. Returns whether it did.
    @discardableResult
    mutating func remove(_ handle: EntryHandle) -> Bool {
        guard isCurrent(handle) else { return false }
        remove(slot: handle.slot)
        return true
    }

    /// Dependencies of the entry `handle` found (0 if it is gone).
    func dependencyCount(_ handle: EntryHandle) -> Int {
        isCurrent(handle) ? slots[handle.slot].dependencyCount : 0
    }

    private func isCurrent(_ handle: EntryHandle) -> Bool {
        handle.slot < slots.count && keys[handle.slot] != nil && slots[handle.slot].generation == handle.generation
    }

    /// Removes every entry (loads in flight are the caller's business).
    mutating func removeAll() {
        slots.removeAll()
        keys.removeAll()
        values.removeAll()
        freeSlots.removeAll()
        index.removeAll()
        dependents.removeAll()
        dependencyReferences = 0
        liveDependencyReferences = 0
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
        freeSlots.append(slot)
        index[key] = nil
        bytes -= slots[slot].bytes
        liveDependencyReferences -= slots[slot].dependencyCount
        slots[slot].generation &+= 1   // its references in `dependents` no longer match
    }

    private func isLive(_ reference: Reference) -> Bool {
        let slot = Int(reference.slot)
        return keys[slot] != nil && slots[slot].generation == reference.generation
    }

    /// Drops stale references (and dependencies left with none).
    private mutating func sweepDependents() {
        var kept: [Dependency: [Reference]] = [:]
        var count = 0
        for (dependency, references) in dependents {
            let live = references.filter(isLive)
            if !live.isEmpty {
                kept[dependency] = live
                count += live.count
            }
        }
        dependents = kept
        dependencyReferences = count
    }
}
