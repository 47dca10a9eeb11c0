import Dispatch
import Synchronization

/// What a loader hands to `ByteBoundedCache`: the value and what the cache needs to keep it.
struct CacheLoad<Value: Sendable, Dependency: Hashable & Sendable>: Sendable {
    var value: Value
    /// Estimated footprint of the value and its key (the cache adds its own per-entry overhead).
    var bytes: Int
    /// What producing the value cost (DB statements): what each later hit saves.
    var cost: UInt64
    /// What the value was computed from: `ByteBoundedCache.invalidate(dependencies:)` removes it when one changes.
    var dependencies: [Dependency]

    init(value: Value, bytes: Int, cost: UInt64 = 0, dependencies: [Dependency] = []) {
        self.value = value
        self.bytes = bytes
        self.cost = cost
        self.dependencies = dependencies
    }
}

/// One load in progress for one key (single-flight): the caller that missed first runs it; callers that miss the
/// same key meanwhile wait on it and take its result, or its error.
///
/// Invalidations that happen while it runs are recorded here (under the shard lock that also guards the shard's
/// table of flights):
/// - `poison()`: the key itself was invalidated (or everything was);
/// - `mark(_:)`: dependencies were invalidated. Which dependencies the value has is only known when it arrives, so
///   the loader checks then.
/// A touched load is no longer joined by new callers (they start a fresh load, so nobody who arrives after a write
/// returned gets a value read before it), and its value is stored only if none of the invalidations applies to it.
final class InFlightLoad<Value: Sendable, Dependency: Hashable & Sendable>: Sendable {
    private struct State {
        var waiters = 0
        var poisoned = false
        var marks: [Dependency] = []
        var result: Result<CacheLoad<Value, Dependency>, any Error>?
    }

    private let state = Mutex(State())
    private let done = DispatchSemaphore(value: 0)

    init() {}

    /// Adds a waiter if no invalidation touched this load; returns whether it did.
    func join() -> Bool {
        state.withLock { s in
            guard !s.poisoned, s.marks.isEmpty else { return false }
            s.waiters += 1
            return true
        }
    }

    /// The key was invalidated while loading: the value must not be stored or shared with new callers.
    func poison() {
        state.withLock { $0.poisoned = true }
    }

    /// `dependencies` were invalidated while loading.
    func mark(_ dependencies: [Dependency]) {
        state.withLock { $0.marks.append(contentsOf: dependencies) }
    }

    /// Whether `load` may be stored: no invalidation since the load began applies to it.
    func mayStore(_ load: CacheLoad<Value, Dependency>) -> Bool {
        state.withLock { s in
            !s.poisoned && !load.dependencies.contains(where: s.marks.contains)
        }
    }

    /// Hands `result` to every waiter. Call once, after the load left the shard's table of flights (so the number of
    /// waiters is final).
    func complete(_ result: Result<CacheLoad<Value, Dependency>, any Error>) {
        let waiters = state.withLock { s in
            s.result = result
            return s.waiters
        }
        for _ in 0..<waiters { done.signal() }
    }

    /// Blocks until the loader completes; returns its result.
    func wait() -> Result<CacheLoad<Value, Dependency>, any Error> {
        done.wait()
        return state.withLock { s in
            guard let result = s.result else { preconditionFailure("InFlightLoad signalled without a result") }
            return result
        }
    }

    /// Callers waiting now (tests coordinate on it).
    var waiterCount: Int { state.withLock { $0.waiters } }
}
