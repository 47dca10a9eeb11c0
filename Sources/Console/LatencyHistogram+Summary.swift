import Metrics

extension LatencyHistogram {
    /// The same figures as `summary` in one pass over the buckets instead of one per percentile (the console
    /// computes these every second for the window and every route, so the difference is most of its ingest cost).
    var onePassSummary: LatencySummary {
        guard count > 0 else { return LatencySummary() }
        let percentiles: [Double] = [50, 90, 95, 99, 99.9]
        // Same rank rule as `percentile(_:)`: the smallest value with at least p% of the values at or below it.
        let targets = percentiles.map { Swift.max(UInt64(($0 / 100 * Double(count)).rounded(.up)), 1) }
        var results = [UInt64](repeating: maxNanoseconds, count: targets.count)
        var next = 0
        var running: UInt64 = 0
        let top = maxNanoseconds
        forEachBucket { _, high, n in
            running &+= n
            while next < targets.count, running >= targets[next] {
                results[next] = Swift.min(high, top)
                next += 1
            }
        }
        return LatencySummary(count: count, min: minNanoseconds, mean: meanNanoseconds, p50: results[0],
                              p90: results[1], p95: results[2], p99: results[3], p999: results[4], max: top)
    }
}
