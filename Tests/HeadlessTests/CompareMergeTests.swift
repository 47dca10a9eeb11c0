import Foundation
import Metrics
import Testing
@testable import Engine
@testable import Headless

/// `dyno compare` math and noise band, and `dyno merge` (exact percentiles) on fixed reports.
@Suite struct CompareMergeTests {
    /// A baseline whose per-second p99 alternates 20 and 22 ms (mean 21, sd ≈ 1.054) at 30/s.
    static func baseline() -> Report { ReportFixture.known() }

    @Test func noiseBandIsTwoStandardErrorsOfTheDifferenceOfMeans() throws {
        var b = Self.baseline()
        b.timeSeries = ReportFixture.seconds(10) { i in (30, 3, 40 + Double(i % 2), 0) }   // mean 40.5, same spread
        let c = Comparison(baseline: Self.baseline(), file: "a.json", candidate: b, file: "b.json")
        let p99 = try #require(c.overall.first { $0.metric == .p99 })
        let sd = (10.0 * 0.25 / 9).squareRoot()          // sample sd of ten values alternating ±0.5
        let band = 2 * (sd * sd / 10 + sd * sd / 10).squareRoot()
        #expect(abs(try #require(p99.band) - band) < 1e-9)
        // Whole-run figures (not the per-second means) make the change.
        #expect(p99.baseline == Self.baseline().totals.latency.p99)
        #expect(p99.delta == 0)
        #expect(p99.verdict == .noise)
        // The rate is identical second by second: a zero band, and no change is noise.
        let rate = try #require(c.overall.first { $0.metric == .rate })
        #expect(rate.band == 0 && rate.verdict == .noise)
    }

    @Test func aSlowerCandidateIsWorseAndARegressionBeyondItsThreshold() throws {
        let a = Self.baseline()
        var b = ReportJSON.report(ReportFixture.result(
            [.init(name: "GET /a", latenciesMicros: ReportFixture.ramp(200, from: 1500, step: 75)),
             .init(name: "GET /b", latenciesMicros: ReportFixture.ramp(100, from: 7500, step: 300), errors: 3)]))
        b.timeSeries = ReportFixture.seconds(10) { i in (30, 4.5, 30 + Double(i % 2), 0) }
        let thresholds = try RegressionThresholds.parse("p99=+10%,p50=+100%,rate=-10%,errors=+0.5%")
        let c = Comparison(baseline: a, file: "a.json", candidate: b, file: "b.json", thresholds: thresholds)
        let p99 = try #require(c.overall.first { $0.metric == .p99 })
        #expect(p99.verdict == .worse)
        #expect(abs(try #require(p99.relativeDelta) - 0.5) < 0.01)   // every latency × 1.5
        #expect(p99.regression == true && p99.threshold == "+10%")
        let p50 = try #require(c.overall.first { $0.metric == .p50 })
        #expect(p50.verdict == .worse && p50.regression == false)   // +50% is within +100%
        #expect(c.regressions == ["p99"])
        #expect(!c.passed)
        // Per route, the same figures without a band.
        let routeA = try #require(c.routes.first { $0.route == "GET /a" })
        #expect(routeA.rows.map(\.metric) == [.rate, .p50, .p95, .p99, .errors])
        #expect(routeA.rows.allSatisfy { $0.band == nil })
        #expect(abs(try #require(routeA.rows[3].relativeDelta) - 0.5) < 0.01)
        // The report: a failed check per exceeded threshold, with measured and required.
        let d = CompareReport.document(c)
        #expect(d.checks.map(\.name) == ["rate change", "p50 change", "p99 change", "errors change"])
        #expect(d.checks.map(\.outcome) == [.passed, .passed, .failed, .passed])
        #expect(d.checks[2].required == "≤ +10%")
        #expect(try XMLTree.parse(d.charts[0].svg).all("g").compactMap { $0.attributes["data-series"] }
                .starts(with: ["A", "B", "noise band"]))
    }

    @Test func aChangeInsideTheNoiseIsNoRegressionWhateverTheThreshold() throws {
        let a = Self.baseline()
        var b = a
        // 1% slower overall, but the seconds scatter by ±50%: inside the band.
        b.totals.latency.p99 = a.totals.latency.p99 * 1.01
        b.timeSeries = ReportFixture.seconds(10) { i in (30, 3, i % 2 == 0 ? 10 : 30, 0) }
        let c = Comparison(baseline: a, file: "a", candidate: b, file: "b", thresholds: try RegressionThresholds.parse("p99=+0.5%"))
        let p99 = try #require(c.overall.first { $0.metric == .p99 })
        #expect(p99.verdict == .noise && p99.regression == false && c.passed)
    }

    @Test func thresholdTextIsCheckedAndExplained() throws {
        let t = try RegressionThresholds.parse("p95=+10%,p99=+2ms,errors=+0.5%,rate=-10%")
        #expect(t.limits.map(\.metric) == [.p95, .p99, .errors, .rate])
        #expect(t.limits.map(\.limit) == [.relative(0.10), .absolute(2), .absolute(0.005), .relative(0.10)])
        #expect(throws: ThresholdSyntaxError("\"rate=+10%\": a regression of rate is a drop; write rate=-10%")) {
            try RegressionThresholds.parse("rate=+10%")
        }
        #expect(throws: ThresholdSyntaxError.self) { try RegressionThresholds.parse("p42=+1%") }
        #expect(throws: ThresholdSyntaxError.self) { try RegressionThresholds.parse("p99=fast") }
    }

    @Test func compareExitCodes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dyno-compare-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = Self.baseline()
        var b = a
        b.totals.latency.p99 = a.totals.latency.p99 * 2
        b.timeSeries = ReportFixture.seconds(10) { i in (30, 3, 40 + Double(i % 2), 0) }
        try a.jsonData().write(to: URL(fileURLWithPath: dir + "/a.json"))
        try b.jsonData().write(to: URL(fileURLWithPath: dir + "/b.json"))
        let limits = try RegressionThresholds.parse("p99=+10%")
        #expect(CompareReport.command(baseline: dir + "/a.json", candidate: dir + "/a.json", thresholds: limits, out: nil) == 0)
        #expect(CompareReport.command(baseline: dir + "/a.json", candidate: dir + "/b.json", thresholds: limits, out: dir + "/cmp") == 1)
        #expect(FileManager.default.fileExists(atPath: dir + "/cmp/comparison.json"))
        #expect(FileManager.default.fileExists(atPath: dir + "/cmp/ab-latency.svg"))
        #expect(CompareReport.command(baseline: dir + "/a.json", candidate: dir + "/missing.json", thresholds: limits, out: nil) == 2)
    }

    @Test func mergeOfTwoReportsEqualsTheReportOfTheUnionWithExactPercentiles() throws {
        var t = Thresholds()
        t.p99Seconds = 0.02
        let routeA1 = ReportFixture.ramp(300, from: 900, step: 13), routeB1 = ReportFixture.ramp(50, from: 4000, step: 700)
        let routeA2 = ReportFixture.ramp(120, from: 20_000, step: 91), routeB2 = ReportFixture.ramp(80, from: 300, step: 3)
        let one = ReportJSON.report(ReportFixture.result(
            [.init(name: "GET /a", latenciesMicros: routeA1), .init(name: "GET /b", latenciesMicros: routeB1, errors: 2)], thresholds: t))
        let two = ReportJSON.report(ReportFixture.result(
            [.init(name: "GET /a", latenciesMicros: routeA2), .init(name: "GET /b", latenciesMicros: routeB2, errors: 1)], thresholds: t,
            startedAt: "2026-12-05T11:00:01Z"))
        let union = ReportJSON.report(ReportFixture.result(
            [.init(name: "GET /a", latenciesMicros: routeA1 + routeA2),
             .init(name: "GET /b", latenciesMicros: routeB1 + routeB2, errors: 3)], thresholds: t))
        let merged = try ReportMerge.merge([("one.json", one), ("two.json", two)])
        #expect(merged.totals == union.totals)
        #expect(merged.routes == union.routes)
        #expect(merged.status == union.status)
        #expect(merged.thresholds == union.thresholds)
        #expect(merged.passed == union.passed)
        #expect(merged.startedAt == "2026-12-05T11:00:00Z")
        #expect(merged.mergedFrom == ["one.json", "two.json"])
        // Averaging the two p99s would be wrong: the union's p99 is far from their mean.
        #expect(merged.totals.latency.p99 != (one.totals.latency.p99 + two.totals.latency.p99) / 2)
        // And the merged report is a report: it round-trips.
        #expect(try Report.decode(merged.jsonData(), file: "merged.json") == merged)
    }

    @Test func mergeRefusesAReportWithoutHistogramsNamingTheField() throws {
        var old = Self.baseline()
        old.routes[1].latencyHistogram = nil
        let error = #expect(throws: ReportFileError.self) {
            try ReportMerge.merge([("new.json", Self.baseline()), ("old.json", old)])
        }
        #expect(error?.file == "old.json" && error?.field == "routes[1].latencyHistogram")
    }

    @Test func perSecondRowsOfTheSameSecondAddUp() {
        let a = ReportFixture.seconds(3) { _ in (10, 2, 5, 1) }
        let b = ReportFixture.seconds(2) { _ in (20, 3, 4, 0) }
        let rows = ReportMerge.seconds([a, b])
        #expect(rows.map(\.achievedRate) == [30, 30, 10])
        #expect(rows.map(\.p99) == [5, 5, 5])
        #expect(rows.map(\.errors) == [1, 1, 1])
    }
}
