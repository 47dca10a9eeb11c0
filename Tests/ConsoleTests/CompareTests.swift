import Testing
@testable import Console
import Metrics

@Suite("A/B vs mark: a real change stands out from jitter")
struct CompareTests {
    func row(_ rows: [ComparisonRow], _ metric: ComparisonRow.Metric) -> ComparisonRow? {
        rows.first { $0.metric == metric }
    }

    @Test func slowerLatencyAfterTheMarkIsAWorseChangeAndSteadyRateIsNoise() throws {
        var m = ConsoleModel(title: "t")
        for s in Fixtures.snapshots(110) { m.ingest(s) }        // seconds 0–9 complete, 10 open
        _ = m.handle(.character("m"), knobs: nil)
        #expect(m.mark?.baseline.count == 10)
        // Before a full second after the mark there is nothing to compare.
        #expect(try #require(m.comparison).allSatisfy { $0.currentSeconds == 0 && $0.verdict == .unknown })
        for s in Fixtures.snapshots(100, latencyScale: 2, firstTick: 110) { m.ingest(s) }
        let rows = try #require(m.comparison)
        #expect(row(rows, .p50)?.verdict == .worse)
        #expect(row(rows, .p99)?.verdict == .worse)
        #expect(row(rows, .rate)?.verdict == .noise)
        #expect(row(rows, .errors)?.verdict == .noise)
        #expect(row(rows, .queriesPerRequest)?.verdict == .noise)
        let p50 = try #require(row(rows, .p50))
        #expect(try #require(p50.current) > 1.8 * (try #require(p50.baseline)))
        #expect(try #require(p50.band) < abs(try #require(p50.delta)))
    }

    @Test func sameLoadBeforeAndAfterIsWithinTheNoiseBand() throws {
        var m = ConsoleModel(title: "t")
        for s in Fixtures.snapshots(110) { m.ingest(s) }
        _ = m.handle(.character("m"), knobs: nil)
        for s in Fixtures.snapshots(100, firstTick: 110) { m.ingest(s) }
        let rows = try #require(m.comparison)
        // The fixture's per-second latencies vary (LCG jitter): the band is not zero and holds the difference.
        let p99 = try #require(row(rows, .p99))
        #expect(try #require(p99.band) > 0)
        #expect(p99.verdict == .noise)
        #expect(row(rows, .p50)?.verdict == .noise)
    }

    @Test func fasterAfterTheMarkIsBetter() throws {
        var m = ConsoleModel(title: "t")
        for s in Fixtures.snapshots(110, latencyScale: 3) { m.ingest(s) }
        _ = m.handle(.character("m"), knobs: nil)
        for s in Fixtures.snapshots(60, firstTick: 110) { m.ingest(s) }
        let rows = try #require(m.comparison)
        #expect(row(rows, .p50)?.verdict == .better)
        #expect(row(rows, .p50)?.currentSeconds == 5)
    }

    @Test func verdictNeedsTwoBaselineSeconds() {
        let r = ComparisonRow(metric: .rate, baseline: 10, current: 20, band: nil, baselineSeconds: 1, currentSeconds: 1)
        #expect(r.verdict == .unknown)
        let higher = ComparisonRow(metric: .rate, baseline: 10, current: 20, band: 1, baselineSeconds: 5, currentSeconds: 5)
        #expect(higher.verdict == .better)
        let slower = ComparisonRow(metric: .p99, baseline: 10, current: 20, band: 1, baselineSeconds: 5, currentSeconds: 5)
        #expect(slower.verdict == .worse)
    }
}
