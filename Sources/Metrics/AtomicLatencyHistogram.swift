import Synchronization

/// A latency histogram that many threads record into at once, lock-free (one relaxed atomic add per value),
/// with the same layout as `LatencyHistogram`. Readers take a `LatencyHistogram` copy with `snapshot()`.
///
/// Use it where recording threads are not owned (the backend's serving and worker threads, the pool); where a
/// thread owns its own recorder (the load generator), a plain `LatencyHistogram` per thread is cheaper.
public final class AtomicLatencyHistogram: Sendable {
    // The counters live in one allocation of `Atomic` values, created once and freed in deinit. Every access goes
    // through an atomic operation, so sharing the pointer between threads is race-free.
    private nonisolated(unsafe) let counts: UnsafeMutablePointer<Atomic<UInt64>>
    private let total = Atomic<UInt64>(0)
    private let maxValue = Atomic<UInt64>(0)
    private let sumNanos = Atomic<UInt64>(0)

    public init() {
        counts = .allocate(capacity: LatencyHistogram.countsLength)
        for i in 0..<LatencyHistogram.countsLength {
            (counts + i).initialize(to: Atomic(0))
        }
    }

    deinit {
        counts.deinitialize(count: LatencyHistogram.countsLength)
        counts.deallocate()
    }

    /// Records one value in nanoseconds from any thread.
    public func record(nanoseconds value: UInt64) {
        let v = min(value, LatencyHistogram.highestTrackableNanoseconds)
        counts[LatencyHistogram.index(of: v)].wrappingAdd(1, ordering: .relaxed)
        total.wrappingAdd(1, ordering: .relaxed)
        sumNanos.wrappingAdd(value, ordering: .relaxed)
        var current = maxValue.load(ordering: .relaxed)
        while value > current {
            let (exchanged, original) = maxValue.compareExchange(
                expected: current, desired: value, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }

    /// Total values recorded.
    public var count: UInt64 { total.load(ordering: .relaxed) }
    /// Sum of recorded values in nanoseconds (for Prometheus `_sum`).
    public var sumNanoseconds: UInt64 { sumNanos.load(ordering: .relaxed) }

    /// A copy of the current contents. Values recorded concurrently may or may not be included.
    public func snapshot() -> LatencyHistogram {
        var h = LatencyHistogram()
        for i in 0..<LatencyHistogram.countsLength {
            let n = counts[i].load(ordering: .relaxed)
            if n != 0 {
                h.record(nanoseconds: LatencyHistogram.lowestEquivalentValue(ofIndex: i), count: n)
            }
        }
        h.overrideExtremes(max: maxValue.load(ordering: .relaxed))
        return h
    }

    /// The current contents' percentiles, the same as `snapshot().summary`, read from the counters in place: no
    /// 144 KiB copy (the backend probes every route's histograms every 100 ms). Two passes: the first finds the
    /// count and the range; values recorded meanwhile may or may not be included, as in `snapshot()`.
    public var summary: LatencySummary {
        var total: UInt64 = 0, weighted = 0.0
        var lowest = Int.max, highest = -1
        for i in 0..<LatencyHistogram.countsLength {
            let n = counts[i].load(ordering: .relaxed)
            if n == 0 { continue }
            total &+= n
            weighted += Double(LatencyHistogram.lowestEquivalentValue(ofIndex: i)) * Double(n)
            if i < lowest { lowest = i }
            highest = i
        }
        guard total > 0 else { return LatencySummary() }
        // As `snapshot()`: values are known to their bucket's lowest value, the max exactly.
        let max = Swift.max(maxValue.load(ordering: .relaxed), LatencyHistogram.lowestEquivalentValue(ofIndex: highest))
        return LatencyHistogram.summary(count: total, min: LatencyHistogram.lowestEquivalentValue(ofIndex: lowest),
                                        mean: weighted / Double(total), max: max, indices: lowest...highest) {
            counts[$0].load(ordering: .relaxed)
        }
    }


    /// Takes the current contents and resets to empty (for per-interval reading by a single reader).
    public func drain() -> LatencyHistogram {
        var h = LatencyHistogram()
        for i in 0..<LatencyHistogram.countsLength {
            let n = counts[i].exchange(0, ordering: .relaxed)
            if n != 0 {
                h.record(nanoseconds: LatencyHistogram.lowestEquivalentValue(ofIndex: i), count: n)
            }
        }
        total.store(0, ordering: .relaxed)
        sumNanos.store(0, ordering: .relaxed)
        h.overrideExtremes(max: maxValue.exchange(0, ordering: .relaxed))
        return h
    }
}

extension LatencyHistogram {
    /// A histogram rebuilt from bucket counts knows values only to bucket precision; restore the exact max.
    mutating func overrideExtremes(max exactMax: UInt64) {
        if count > 0 && exactMax >= maxValue { maxValue = exactMax }
    }
}
