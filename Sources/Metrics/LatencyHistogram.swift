/// A log-linear latency histogram in the style of HdrHistogram: three significant digits from 1 µs to 60 s
/// in constant memory (18,432 counters), O(1) recording with no lock and no allocation, mergeable.
///
/// Values are recorded in nanoseconds. Below 1 µs they share the first bucket's unit (512 ns); above 60 s they are
/// clamped to the top bucket (and counted in `clampedCount`) so a pathological value never traps or grows memory.
/// The exact minimum and maximum recorded are kept separately.
///
/// This is a value type whose storage is a Swift array (copy-on-write): one owner records into it; to share it
/// with another thread, hand over a copy (e.g. at a snapshot tick). For recording from many threads at once use
/// `AtomicLatencyHistogram`.
public struct LatencyHistogram: Sendable, Equatable {
    // Layout constants (see HdrHistogram's AbstractHistogram for the derivation).
    // unitMagnitude 9 → 512 ns unit (lowest discernible ≈ 1 µs); 2048 sub-buckets → 3 significant digits.
    @usableFromInline static let unitMagnitude: UInt64 = 9
    @usableFromInline static let subBucketHalfCountMagnitude: UInt64 = 10
    @usableFromInline static let subBucketCount: UInt64 = 2048
    @usableFromInline static let subBucketHalfCount: UInt64 = 1024
    @usableFromInline static let subBucketMask: UInt64 = (2048 - 1) << 9
    /// Highest trackable value: 60 s.
    public static let highestTrackableNanoseconds: UInt64 = 60_000_000_000
    @usableFromInline static let bucketCount: Int = {
        var smallestUntrackable = subBucketCount << unitMagnitude
        var buckets = 1
        while smallestUntrackable <= highestTrackableNanoseconds {
            smallestUntrackable <<= 1
            buckets += 1
        }
        return buckets
    }()
    @usableFromInline static let countsLength: Int = (bucketCount + 1) * Int(subBucketHalfCount)

    @usableFromInline var counts: [UInt64]
    @usableFromInline var totalCount: UInt64 = 0
    @usableFromInline var clamped: UInt64 = 0
    /// How many values were recorded.
    public var count: UInt64 { totalCount }
    /// Values above `highestTrackableNanoseconds` that were clamped into the top bucket.
    public var clampedCount: UInt64 { clamped }
    @usableFromInline var minValue: UInt64 = .max
    @usableFromInline var maxValue: UInt64 = 0
    @usableFromInline var sum: Double = 0
    /// The range of counters that may be non-zero, so merge, reset and percentiles skip the empty rest
    /// (latencies cluster: typically a few hundred of the 18,432 counters are used).
    @usableFromInline var lowestIndex = Int.max
    @usableFromInline var highestIndex = -1

    /// An empty histogram costs no allocation: it shares one array of zeros until its first value is recorded or
    /// merged in (copy-on-write). Why: snapshots are built every 100 ms with empty histograms as defaults that are
    /// then replaced, and each fresh 144 KiB array is a new mapping (above glibc's mmap threshold), zeroed page by
    /// page: ~12k page faults a second in an embedded run before.
    public init() {
        counts = Self.zeros
    }

    private static let zeros = [UInt64](repeating: 0, count: countsLength)

    /// Records one value, in nanoseconds. O(1), no allocation (as long as this value's storage is not shared).
    @inlinable
    public mutating func record(nanoseconds value: UInt64) {
        record(nanoseconds: value, count: 1)
    }

    /// Records `n` occurrences of a value, in nanoseconds.
    @inlinable
    public mutating func record(nanoseconds value: UInt64, count n: UInt64) {
        guard n > 0 else { return }
        var v = value
        if v > Self.highestTrackableNanoseconds {
            v = Self.highestTrackableNanoseconds
            clamped &+= n
        }
        let i = Self.index(of: v)
        counts[i] &+= n
        if i < lowestIndex { lowestIndex = i }
        if i > highestIndex { highestIndex = i }
        totalCount &+= n
        if value < minValue { minValue = value }
        if value > maxValue { maxValue = value }
        sum += Double(value) * Double(n)
    }

    /// Adds every value of `other` into this histogram (the histogram of the union).
    public mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        let range = other.lowestIndex...other.highestIndex
        counts.withUnsafeMutableBufferPointer { mine in
            other.counts.withUnsafeBufferPointer { theirs in
                for i in range { mine[i] &+= theirs[i] }
            }
        }
        lowestIndex = Swift.min(lowestIndex, other.lowestIndex)
        highestIndex = Swift.max(highestIndex, other.highestIndex)
        totalCount &+= other.totalCount
        clamped &+= other.clamped
        minValue = Swift.min(minValue, other.minValue)
        maxValue = Swift.max(maxValue, other.maxValue)
        sum += other.sum
    }

    /// Forgets every value, keeping the storage (no allocation).
    public mutating func reset() {
        guard count > 0 else { return }
        let range = lowestIndex...highestIndex
        counts.withUnsafeMutableBufferPointer { buffer in
            for i in range { buffer[i] = 0 }
        }
        lowestIndex = .max
        highestIndex = -1
        totalCount = 0
        clamped = 0
        minValue = .max
        maxValue = 0
        sum = 0
    }

    public var isEmpty: Bool { count == 0 }
    /// Exact largest recorded value (0 when empty).
    public var maxNanoseconds: UInt64 { maxValue }
    /// Exact smallest recorded value (0 when empty).
    public var minNanoseconds: UInt64 { count == 0 ? 0 : minValue }
    /// Exact mean of the recorded values (0 when empty).
    public var meanNanoseconds: Double { count == 0 ? 0 : sum / Double(count) }

    /// The value at percentile `p` (0...100): the smallest recorded value such that at least p% of values are ≤ it,
    /// reported as the highest value equivalent to its bucket (as HdrHistogram does), capped at the exact max.
    /// Returns 0 for an empty histogram.
    public func percentile(_ p: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let clamped = Swift.min(Swift.max(p, 0), 100)
        if clamped >= 100 { return maxValue }
        var target = UInt64((clamped / 100 * Double(count)).rounded(.up))
        if target < 1 { target = 1 }
        var running: UInt64 = 0
        for i in lowestIndex...highestIndex {
            running &+= counts[i]
            if running >= target {
                return Swift.min(Self.highestEquivalentValue(ofIndex: i), maxValue)
            }
        }
        return maxValue
    }

    /// The usual percentiles at once, in one pass over the buckets: the same figures as `percentile(_:)` gives for
    /// each, for one scan instead of five (the console takes these every second for its window and every route).
    public var summary: LatencySummary {
        guard count > 0 else { return LatencySummary() }
        return counts.withUnsafeBufferPointer { counts in
            Self.summary(count: count, min: minNanoseconds, mean: meanNanoseconds, max: maxValue,
                         indices: lowestIndex...highestIndex) { counts[$0] }
        }
    }

    /// The summary of `count` values (> 0) whose bucket counts in `indices` are `countAt(index)`: one pass, shared
    /// with `AtomicLatencyHistogram`, which reads its counters in place.
    @inline(__always)
    static func summary(count: UInt64, min: UInt64, mean: Double, max: UInt64, indices: ClosedRange<Int>,
                        countAt: (Int) -> UInt64) -> LatencySummary {
        // Same rank rule as `percentile(_:)`: the smallest value with at least p% of the values at or below it.
        func target(_ p: Double) -> UInt64 { Swift.max(UInt64((p / 100 * Double(count)).rounded(.up)), 1) }
        let targets = (target(50), target(90), target(95), target(99), target(99.9))
        var results = (max, max, max, max, max)
        var running: UInt64 = 0
        for i in indices {
            let n = countAt(i)
            if n == 0 { continue }
            let before = running
            running &+= n
            let value = Swift.min(highestEquivalentValue(ofIndex: i), max)
            if before < targets.0, running >= targets.0 { results.0 = value }
            if before < targets.1, running >= targets.1 { results.1 = value }
            if before < targets.2, running >= targets.2 { results.2 = value }
            if before < targets.3, running >= targets.3 { results.3 = value }
            if before < targets.4, running >= targets.4 { results.4 = value; break }
        }
        return LatencySummary(count: count, min: min, mean: mean, p50: results.0, p90: results.1, p95: results.2,
                              p99: results.3, p999: results.4, max: max)
    }

    /// Calls `body` for every non-empty bucket in ascending order with its value range [low, high] (ns) and count.
    public func forEachBucket(_ body: (_ low: UInt64, _ high: UInt64, _ count: UInt64) -> Void) {
        guard count > 0 else { return }
        for i in lowestIndex...highestIndex where counts[i] != 0 {
            body(Self.lowestEquivalentValue(ofIndex: i), Self.highestEquivalentValue(ofIndex: i), counts[i])
        }
    }

    /// Counts re-binned into `binCount` logarithmically spaced bins between `low` and `high` nanoseconds
    /// (values below `low` go to the first bin, above `high` to the last). For drawing a histogram.
    public func logBins(binCount: Int, low: UInt64, high: UInt64) -> [UInt64] {
        precondition(binCount > 0 && low > 0 && high > low)
        var bins = [UInt64](repeating: 0, count: binCount)
        let logLow = log2(Double(low)), span = log2(Double(high)) - logLow
        forEachBucket { lo, hi, n in
            let mid = Double(lo / 2 + hi / 2)
            let position = (log2(Swift.max(mid, 1)) - logLow) / span * Double(binCount)
            let bin = Swift.min(Swift.max(Int(position), 0), binCount - 1)
            bins[bin] &+= n
        }
        return bins
    }

    // MARK: index arithmetic

    @inlinable
    static func index(of value: UInt64) -> Int {
        // Bucket = how many doublings above the first bucket's range the value needs.
        let pow2Ceiling = UInt64(64 - (value | subBucketMask).leadingZeroBitCount)
        let bucketIndex = pow2Ceiling - unitMagnitude - (subBucketHalfCountMagnitude + 1)
        let subBucketIndex = value >> (bucketIndex + unitMagnitude)
        // In the first bucket subBucketIndex may be below half count: wrap-around arithmetic lands on the right index.
        return Int(((bucketIndex + 1) << subBucketHalfCountMagnitude) &+ (subBucketIndex &- subBucketHalfCount))
    }

    static func lowestEquivalentValue(ofIndex index: Int) -> UInt64 {
        var bucketIndex = (index >> Int(subBucketHalfCountMagnitude)) - 1
        var subBucketIndex = UInt64(index & (Int(subBucketHalfCount) - 1)) + subBucketHalfCount
        if bucketIndex < 0 {
            subBucketIndex -= subBucketHalfCount
            bucketIndex = 0
        }
        return subBucketIndex << (UInt64(bucketIndex) + unitMagnitude)
    }

    static func highestEquivalentValue(ofIndex index: Int) -> UInt64 {
        var bucketIndex = (index >> Int(subBucketHalfCountMagnitude)) - 1
        if bucketIndex < 0 { bucketIndex = 0 }
        let size = UInt64(1) << (UInt64(bucketIndex) + unitMagnitude)
        return lowestEquivalentValue(ofIndex: index) + size - 1
    }

    public static func == (a: LatencyHistogram, b: LatencyHistogram) -> Bool {
        // The index range is bookkeeping: equal contents are equal histograms whatever range each tracked.
        a.count == b.count && a.minNanoseconds == b.minNanoseconds && a.maxValue == b.maxValue && a.counts == b.counts
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The usual latency figures of a histogram, in nanoseconds.
public struct LatencySummary: Sendable, Equatable, Codable {
    public var count: UInt64
    public var min: UInt64
    public var mean: Double
    public var p50: UInt64
    public var p90: UInt64
    public var p95: UInt64
    public var p99: UInt64
    public var p999: UInt64
    public var max: UInt64

    public init(count: UInt64 = 0, min: UInt64 = 0, mean: Double = 0, p50: UInt64 = 0, p90: UInt64 = 0,
                p95: UInt64 = 0, p99: UInt64 = 0, p999: UInt64 = 0, max: UInt64 = 0) {
        self.count = count; self.min = min; self.mean = mean; self.p50 = p50; self.p90 = p90
        self.p95 = p95; self.p99 = p99; self.p999 = p999; self.max = max
    }
}
