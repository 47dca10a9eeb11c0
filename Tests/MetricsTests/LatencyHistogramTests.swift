import Testing
@testable import Metrics

/// Exact percentile of sorted data with the same definition the histogram uses (smallest value with at least p% ≤ it).
private func exactPercentile(_ sorted: [UInt64], _ p: Double) -> UInt64 {
    let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
    return sorted[rank - 1]
}

/// Deterministic data spanning microseconds to seconds (SplitMix64, log-uniform).
private func logUniformSample(count: Int, seed: UInt64) -> [UInt64] {
    var state = seed
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    return (0..<count).map { _ in
        let u = Double(next() >> 11) / Double(1 << 53)
        return UInt64(pow(10, 3 + u * 6.5))   // 1 µs ... ~3 s in ns
    }
}

import Foundation

@Suite struct LatencyHistogramTests {
    @Test func percentilesMatchExactValuesWithinThreeSignificantDigits() {
        let data = logUniformSample(count: 50_000, seed: 7)
        var h = LatencyHistogram()
        for v in data { h.record(nanoseconds: v) }
        let sorted = data.sorted()
        #expect(h.count == UInt64(data.count))
        for p in [1.0, 10, 50, 90, 95, 99, 99.9, 99.99, 100] {
            let exact = exactPercentile(sorted, p)
            let reported = h.percentile(p)
            let relativeError = abs(Double(reported) - Double(exact)) / Double(exact)
            // 3 significant digits: bucket width is at most 1/1024 of the value (plus the 512 ns unit at the bottom).
            #expect(relativeError <= 1.0 / 1024 || abs(Double(reported) - Double(exact)) < 512,
                    "p\(p): exact \(exact), reported \(reported)")
        }
        #expect(h.maxNanoseconds == sorted.last!)
        #expect(h.minNanoseconds == sorted.first!)
        let exactMean = Double(data.reduce(0, +)) / Double(data.count)
        #expect(abs(h.meanNanoseconds - exactMean) < 1)
    }

    @Test func mergeEqualsHistogramOfTheUnion() {
        let a = logUniformSample(count: 10_000, seed: 1)
        let b = logUniformSample(count: 7_000, seed: 2)
        var ha = LatencyHistogram(), hb = LatencyHistogram(), union = LatencyHistogram()
        for v in a { ha.record(nanoseconds: v); union.record(nanoseconds: v) }
        for v in b { hb.record(nanoseconds: v); union.record(nanoseconds: v) }
        ha.merge(hb)
        #expect(ha == union)
        #expect(ha.percentile(99) == union.percentile(99))
    }

    @Test func resetEmptiesAndValuesOutOfRangeAreClampedNotLost() {
        var h = LatencyHistogram()
        h.record(nanoseconds: 0)
        h.record(nanoseconds: 120_000_000_000)  // 2 minutes: beyond the 60 s range
        #expect(h.count == 2)
        #expect(h.clampedCount == 1)
        #expect(h.maxNanoseconds == 120_000_000_000)
        #expect(h.percentile(100) == 120_000_000_000)
        h.reset()
        #expect(h.isEmpty)
        #expect(h.percentile(50) == 0)
        #expect(h == LatencyHistogram())
    }

    @Test func singleValueIsReportedAtEveryPercentile() {
        var h = LatencyHistogram()
        h.record(nanoseconds: 1_234_567, count: 10)
        for p in [0.0, 50, 99.9, 100] {
            #expect(h.percentile(p) == 1_234_567)  // capped at the exact max
        }
    }

    @Test func logBinsConserveCounts() {
        let data = logUniformSample(count: 5_000, seed: 3)
        var h = LatencyHistogram()
        for v in data { h.record(nanoseconds: v) }
        let bins = h.logBins(binCount: 40, low: 1_000, high: 10_000_000_000)
        #expect(bins.reduce(0, +) == h.count)
        #expect(bins.filter { $0 > 0 }.count > 20)
    }

    @Test func atomicHistogramRecordsFromManyThreadsLikeThePlainOne() async {
        let atomic = AtomicLatencyHistogram()
        let data = logUniformSample(count: 40_000, seed: 9)
        await withTaskGroup(of: Void.self) { group in
            for part in 0..<4 {
                group.addTask {
                    for v in data[(part * 10_000)..<((part + 1) * 10_000)] { atomic.record(nanoseconds: v) }
                }
            }
        }
        var plain = LatencyHistogram()
        for v in data { plain.record(nanoseconds: v) }
        let snap = atomic.snapshot()
        #expect(snap.count == plain.count)
        #expect(snap.maxNanoseconds == plain.maxNanoseconds)
        for p in [50.0, 90, 99, 99.9] { #expect(snap.percentile(p) == plain.percentile(p)) }
        let drained = atomic.drain()
        #expect(drained.count == plain.count)
        #expect(atomic.snapshot().isEmpty)
    }
}

@Suite struct TimeSeriesTests {
    @Test func keepsOnlyTheNewestValuesOldestFirst() {
        var s = TimeSeries<Int>(capacity: 3)
        for i in 1...5 { s.append(i) }
        #expect(s.elements == [3, 4, 5])
        #expect(s.last == 5)
        #expect(s.count == 3)
    }
}

@Suite("One-pass latency summary")
struct OnePassSummaryTests {
    /// The summary in one pass gives what `percentile(_:)` gives for each figure.
    func expectMatchesPercentiles(_ h: LatencyHistogram) {
        let s = h.summary
        #expect(s.count == h.count && s.min == h.minNanoseconds && s.max == h.maxNanoseconds && s.mean == h.meanNanoseconds)
        #expect([s.p50, s.p90, s.p95, s.p99, s.p999] == [50, 90, 95, 99, 99.9].map { h.percentile($0) })
    }

    @Test func matchesPercentileForEachFigure() {
        var h = LatencyHistogram()
        #expect(h.summary == LatencySummary())
        var state: UInt64 = 42
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            h.record(nanoseconds: 1_000 + (state >> 40) % 50_000_000)
        }
        h.record(nanoseconds: 61_000_000_000)   // clamped into the top bucket
        expectMatchesPercentiles(h)
        var one = LatencyHistogram()
        one.record(nanoseconds: 1_234_567)
        expectMatchesPercentiles(one)
    }

    /// The atomic histogram's summary, read from its counters in place, is its snapshot's summary.
    @Test func atomicSummaryIsItsSnapshotsSummary() {
        let atomic = AtomicLatencyHistogram()
        #expect(atomic.summary == LatencySummary())
        atomic.record(nanoseconds: 7_654_321)
        #expect(atomic.summary == atomic.snapshot().summary)
        for v in logUniformSample(count: 20_000, seed: 5) { atomic.record(nanoseconds: v) }
        atomic.record(nanoseconds: 61_000_000_000)   // clamped into the top bucket; the max stays exact
        #expect(atomic.summary == atomic.snapshot().summary)
        #expect(atomic.summary.max == 61_000_000_000)
    }

    /// An empty histogram shares its zeros until written; writing one never shows in another.
    @Test func emptyHistogramsShareStorageUntilWritten() {
        var a = LatencyHistogram(), b = LatencyHistogram()
        a.record(nanoseconds: 5_000)
        #expect(a.count == 1 && b.isEmpty && b.percentile(50) == 0)
        b.merge(a)
        b.merge(a)
        #expect(b.count == 2 && a.count == 1 && LatencyHistogram().isEmpty)
    }
}
