/// A histogram as data: its non-empty counters and exact extremes, so a report can carry it and a reader can
/// rebuild the very same histogram (and merge it with others: the percentiles of a union stay exact).
public struct HistogramBuckets: Sendable, Equatable, Codable {
    /// Non-empty counters in ascending order: each bucket's lowest equivalent value (ns) and its count.
    public var buckets: [Bucket]
    /// Exact smallest and largest values recorded (ns), and their sum (ns, for the exact mean).
    public var min: UInt64
    public var max: UInt64
    public var sumNanoseconds: Double
    /// Values above 60 s clamped into the top bucket.
    public var clamped: UInt64

    public struct Bucket: Sendable, Equatable, Codable {
        public var lowNanoseconds: UInt64
        public var count: UInt64
        public init(lowNanoseconds: UInt64, count: UInt64) { self.lowNanoseconds = lowNanoseconds; self.count = count }
    }

    public init(buckets: [Bucket], min: UInt64, max: UInt64, sumNanoseconds: Double, clamped: UInt64 = 0) {
        self.buckets = buckets; self.min = min; self.max = max; self.sumNanoseconds = sumNanoseconds; self.clamped = clamped
    }

    public var count: UInt64 { buckets.reduce(0) { $0 + $1.count } }
}

/// Why buckets cannot be a histogram.
public struct HistogramBucketsError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension LatencyHistogram {
    /// This histogram's non-empty counters and extremes (nothing is lost: `init(_:)` rebuilds it exactly).
    public var buckets: HistogramBuckets {
        var list: [HistogramBuckets.Bucket] = []
        forEachBucket { low, _, n in list.append(.init(lowNanoseconds: low, count: n)) }
        return HistogramBuckets(buckets: list, min: minNanoseconds, max: maxValue, sumNanoseconds: sum, clamped: clamped)
    }

    /// Rebuilds the histogram `buckets` describes; throws when a bucket is not one of this layout's (a value that is
    /// not a bucket's lowest value, beyond 60 s, or out of order) or min/max contradict the buckets.
    public init(_ b: HistogramBuckets) throws(HistogramBucketsError) {
        self.init()
        var previous = -1
        for bucket in b.buckets {
            guard bucket.lowNanoseconds <= Self.highestTrackableNanoseconds else {
                throw HistogramBucketsError(message: "bucket \(bucket.lowNanoseconds) ns is beyond 60 s")
            }
            let i = Self.index(of: bucket.lowNanoseconds)
            guard Self.lowestEquivalentValue(ofIndex: i) == bucket.lowNanoseconds else {
                throw HistogramBucketsError(message: "\(bucket.lowNanoseconds) ns is not the lowest value of a bucket")
            }
            guard i > previous else { throw HistogramBucketsError(message: "buckets are not in ascending order") }
            guard bucket.count > 0 else { throw HistogramBucketsError(message: "bucket \(bucket.lowNanoseconds) ns has count 0") }
            previous = i
            counts[i] = bucket.count
            lowestIndex = Swift.min(lowestIndex, i)
            highestIndex = Swift.max(highestIndex, i)
            totalCount &+= bucket.count
        }
        guard totalCount > 0 else { return }
        guard b.min <= b.max, Self.index(of: Swift.min(b.min, Self.highestTrackableNanoseconds)) == lowestIndex,
              Self.index(of: Swift.min(b.max, Self.highestTrackableNanoseconds)) == highestIndex else {
            throw HistogramBucketsError(message: "min \(b.min) ns and max \(b.max) ns do not fall in the first and last buckets")
        }
        minValue = b.min
        maxValue = b.max
        sum = b.sumNanoseconds
        clamped = b.clamped
    }
}
