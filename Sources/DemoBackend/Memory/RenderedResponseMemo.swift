import Synchronization

/// A memo of rendered GET responses keyed by viewer and URL, with their ETag, the kind of "quick win" long-running
/// services grow: a conditional repeat (`If-None-Match`) of the same request by the same user, with no write in
/// between, is answered from the memo (304, or the memoized body) without touching the store or the encoder. Every
/// successful write moves a generation counter, and an entry is served only when its generation is current, so the
/// memo is never stale.
///
/// The `memory` knob decides what ever leaves it:
/// - `unbounded`: nothing. Entries of old generations, one-off URLs and users who never come back stay forever:
///   the memo grows with every distinct (user, URL) the service has seen, a real leak.
/// - `bounded`: the same dictionary with a byte bound (oldest inserted first out) and an expiry (`ttlSeconds`);
///   a stale-generation entry is dropped when it is looked up.
final class RenderedResponseMemo: Sendable {
    enum Mode: Int, Sendable { case unbounded, bounded }

    struct Limits: Sendable, Equatable {
        /// Default 8 MiB: enough for the hot pages of the default mix between two writes.
        var maxBytes = 8 << 20
        /// Default 30 s.
        var ttlNanoseconds: UInt64 = 30_000_000_000
    }

    struct Key: Hashable, Sendable {
        /// -1 for anonymous requests.
        var viewer: Int64
        var target: String
    }

    struct Statistics: Sendable, Equatable {
        var entries = 0
        var bytes = 0
        var hits: UInt64 = 0
        var misses: UInt64 = 0
        /// Dropped for the byte bound, for age, or for a stale generation (bounded mode only).
        var evictions: UInt64 = 0
    }

    struct Hit: Sendable {
        var body: [UInt8]
        var etag: String
    }

    private struct Entry {
        var body: [UInt8]
        var etag: String
        var generation: UInt64
        var storedAt: UInt64
        /// Insertion number: matches the FIFO slot that owns this entry (a re-inserted key leaves an old slot behind).
        var insertion: UInt64
        var bytes: Int
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// Insertion order (bounded mode evicts from the front); `head` is the first live slot.
        var order: [(key: Key, insertion: UInt64)] = []
        var head = 0
        var insertions: UInt64 = 0
        var statistics = Statistics()
    }

    let limits: Limits
    private let state = Mutex(State())
    private let generationCounter = Atomic<UInt64>(0)
    private let mode: @Sendable () -> Mode

    /// - Parameter mode: read on every call (the `memory` knob: one relaxed atomic load).
    init(limits: Limits = Limits(), mode: @escaping @Sendable () -> Mode) {
        self.limits = limits
        self.mode = mode
    }

    /// The current write generation; read it before reading the store, store the rendering with it.
    var generation: UInt64 { generationCounter.load(ordering: .acquiring) }

    /// Called after every successful write: older renderings are no longer served.
    func dataChanged() { generationCounter.add(1, ordering: .releasing) }

    /// Bytes charged per entry besides body and URL: dictionary slot, FIFO slot, array and string headers.
    static let entryOverheadBytes = 160

    /// The memoized body of `key`, when it was rendered in the current generation (and, bounded, is not expired).
    func lookup(_ key: Key, now: UInt64) -> Hit? {
        let current = generation
        let bounded = mode() == .bounded
        return state.withLock { state in
            guard let entry = state.entries[key] else { state.statistics.misses += 1; return nil }
            if entry.generation == current, !bounded || now &- entry.storedAt < limits.ttlNanoseconds {
                state.statistics.hits += 1
                return Hit(body: entry.body, etag: entry.etag)
            }
            state.statistics.misses += 1
            if bounded {   // stale or expired: drop it now (its FIFO slot is skipped later)
                state.entries[key] = nil
                state.statistics.bytes -= entry.bytes
                state.statistics.evictions += 1
            }
            return nil
        }
    }

    /// Remembers `body` as the rendering of `key` in `generation`.
    func store(_ key: Key, body: [UInt8], etag: String, generation: UInt64, now: UInt64) {
        let bounded = mode() == .bounded
        let bytes = body.count + key.target.utf8.count + etag.utf8.count + Self.entryOverheadBytes
        if bounded, bytes > limits.maxBytes { return }
        // The replaced entry is returned and released after the lock: a hot URL's previous body is usually its last
        // reference, and freeing it under the lock made every other worker wait for `free` (`perf`, read mix).
        let replaced = state.withLock { state -> Entry? in
            state.insertions += 1
            let entry = Entry(body: body, etag: etag, generation: generation, storedAt: now, insertion: state.insertions, bytes: bytes)
            let old = state.entries.updateValue(entry, forKey: key)
            if let old { state.statistics.bytes -= old.bytes }
            state.statistics.bytes += bytes
            if bounded {
                state.order.append((key, state.insertions))
                Self.evict(&state, maxBytes: limits.maxBytes, olderThan: now &- limits.ttlNanoseconds, now: now)
            }
            return old
        }
        _ = replaced   // released here, after the lock
    }

    /// Bounded mode: drops the oldest insertions while over the byte bound or expired, and compacts the FIFO.
    private static func evict(_ state: inout State, maxBytes: Int, olderThan cutoff: UInt64, now: UInt64) {
        while state.head < state.order.count {
            let slot = state.order[state.head]
            guard let entry = state.entries[slot.key], entry.insertion == slot.insertion else {
                state.head += 1   // superseded or already dropped
                continue
            }
            let expired = now >= cutoff && entry.storedAt < cutoff
            guard state.statistics.bytes > maxBytes || expired else { break }
            state.entries[slot.key] = nil
            state.statistics.bytes -= entry.bytes
            state.statistics.evictions += 1
            state.head += 1
        }
        // Compact when the dead prefix is half the array: amortized O(1), and the FIFO stays ≈ the live entries.
        if state.head > 64, state.head * 2 > state.order.count {
            state.order.removeFirst(state.head)
            state.head = 0
        }
    }

    /// A strong validator for `body`: a 64-bit hash of its bytes, 16 hex digits quoted (`"9f2c…"`).
    ///
    /// Multiply–xorshift over 8-byte words (the tail byte by byte), seeded with the length. Every rendered read pays
    /// it: FNV-1a's one dependent multiply per byte (≈ 10,000 for a page of 20 articles) was ≈ 2% of the process on
    /// the read mix with `cache=off`; this takes one per 8 bytes.
    static func etag(of body: [UInt8]) -> String {
        let multiplier: UInt64 = 0x9e37_79b9_7f4a_7c15
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(body.count)
        body.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                hash = (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* multiplier
                hash ^= hash >> 32
                offset += 8
            }
            while offset < raw.count {
                hash = (hash ^ UInt64(raw[offset])) &* multiplier
                hash ^= hash >> 32
                offset += 1
            }
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    var statistics: Statistics {
        state.withLock { state in
            var s = state.statistics
            s.entries = state.entries.count
            return s
        }
    }

    /// Empties the memo (switching `memory` to bounded frees what the unbounded setting piled up).
    func removeAll() {
        state.withLock { state in
            state.statistics.evictions += UInt64(state.entries.count)
            state.entries = [:]
            state.order = []
            state.head = 0
            state.statistics.bytes = 0
        }
    }
}
