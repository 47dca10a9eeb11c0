import DemoBackend
import Foundation
import Knobs
import Metrics
import Testing
@testable import Headless

/// The verify checks' judgement on fixed figures: pass, fail, and skipped because a knob is missing. The live
/// checks run in CI through `dyno verify --quick`.
@Suite struct VerifyCheckTests {
    /// A route whose every response took `ms` milliseconds.
    static func route(ms: Double, count: UInt64 = 100, errors: UInt64 = 0) -> VerifyMeasurement.Route {
        var h = LatencyHistogram()
        h.record(nanoseconds: UInt64(ms * 1e6), count: count)
        return .init(completed: count, errors: errors, bytes: count * 1000, latency: h)
    }

    static func measurement(_ routes: [String: VerifyMeasurement.Route], reads: (queries: UInt64, dbMs: Double)? = nil,
                            poolTimeouts: UInt64 = 0) -> VerifyMeasurement {
        var m = VerifyMeasurement()
        m.seconds = 10
        m.routes = routes
        if let reads {
            m.backend["GET /api/articles"] = .init(requests: 100, dbQueries: reads.queries, dbNanoseconds: UInt64(reads.dbMs * 1e6))
        }
        m.backend["POST /api/articles/:slug/comments"] = .init(requests: 10, dbQueries: 1000, dbNanoseconds: 1_000_000_000)
        m.poolTimeouts = poolTimeouts
        return m
    }

    let plan = VerifyPlan.fullRun

    @Test func responseTimePassesWhenP95AtLeastHalved() {
        let check = ResponseTimeCheck()
        let pass = check.judge(["naive": Self.measurement(["a": Self.route(ms: 40)]),
                                "optimized": Self.measurement(["a": Self.route(ms: 10)])], plan: plan)
        #expect(pass.outcome == .passed)
        let fail = check.judge(["naive": Self.measurement(["a": Self.route(ms: 40)]),
                                "optimized": Self.measurement(["a": Self.route(ms: 30)])], plan: plan)
        #expect(fail.outcome == .failed)
        #expect(fail.optimized.contains("-25%"))
    }

    @Test func responseTimeFailsWithoutOptimizedResponses() {
        let v = ResponseTimeCheck().judge(["naive": Self.measurement(["a": Self.route(ms: 40)]),
                                           "optimized": Self.measurement(["a": Self.route(ms: 1, count: 0)])], plan: plan)
        #expect(v.outcome == .failed)
    }

    @Test func databaseLoadCountsOnlyReads() {
        let check = DatabaseLoadCheck()
        // Reads: 8 → 2 statements per request (−75%); the write route's 100/request is left out.
        let pass = check.judge(["naive": Self.measurement([:], reads: (800, 100)),
                                "optimized": Self.measurement([:], reads: (200, 50))], plan: plan)
        #expect(pass.outcome == .passed)
        #expect(pass.naive.hasPrefix("8.00"))
        let fail = check.judge(["naive": Self.measurement([:], reads: (800, 100)),
                                "optimized": Self.measurement([:], reads: (600, 50))], plan: plan)
        #expect(fail.outcome == .failed)
        let none = check.judge(["naive": Self.measurement([:]), "optimized": Self.measurement([:], reads: (1, 1))], plan: plan)
        #expect(none.outcome == .failed)
    }

    @Test func queryTimeNeedsDBTimeAtLeastHalved() {
        let check = QueryTimeCheck()
        #expect(check.judge(["naive": Self.measurement([:], reads: (500, 300)),
                             "optimized": Self.measurement([:], reads: (500, 100))], plan: plan).outcome == .passed)
        #expect(check.judge(["naive": Self.measurement([:], reads: (500, 300)),
                             "optimized": Self.measurement([:], reads: (500, 200))], plan: plan).outcome == .failed)
    }

    @Test func nonBlockingJudgesLightRoutesOnly() {
        let check = NonBlockingCheck()
        let without = Self.measurement(["article": Self.route(ms: 10)])
        let heavyOK = Self.measurement(["article": Self.route(ms: 12), "report": Self.route(ms: 900, count: 5)])
        let naiveBad = Self.measurement(["article": Self.route(ms: 400), "report": Self.route(ms: 900, count: 5)])
        #expect(check.judge(["without": without, "optimized": heavyOK, "naive": naiveBad], plan: plan).outcome == .passed)
        // Optimized beyond 1.5×: fails.
        let heavySlow = Self.measurement(["article": Self.route(ms: 20), "report": Self.route(ms: 900, count: 5)])
        #expect(check.judge(["without": without, "optimized": heavySlow, "naive": naiveBad], plan: plan).outcome == .failed)
        // Naive not far worse (the knobs would make no difference): fails too.
        let naiveMild = Self.measurement(["article": Self.route(ms: 14), "report": Self.route(ms: 900, count: 5)])
        #expect(check.judge(["without": without, "optimized": heavyOK, "naive": naiveMild], plan: plan).outcome == .failed)
        // No heavy work answered: nothing was shown.
        let noHeavy = Self.measurement(["article": Self.route(ms: 10)])
        #expect(check.judge(["without": without, "optimized": noHeavy, "naive": naiveBad], plan: plan).outcome == .failed)
    }

    @Test func quickReportsButDoesNotGateTheP99Ratios() {
        let quick = VerifyPlan.quickRun
        let without = Self.measurement(["article": Self.route(ms: 10)])
        let heavySlow = Self.measurement(["article": Self.route(ms: 20), "report": Self.route(ms: 900, count: 5)])
        let naiveBad = Self.measurement(["article": Self.route(ms: 400), "report": Self.route(ms: 900, count: 5)])
        let v = NonBlockingCheck().judge(["without": without, "optimized": heavySlow, "naive": naiveBad], plan: quick)
        #expect(v.outcome == .passed)
        #expect(v.optimized.contains("2.00×"))
        #expect(v.required.contains("not gated"))
        // The parts that hold on a loaded machine still gate: naive must be far worse.
        let naiveMild = Self.measurement(["article": Self.route(ms: 14), "report": Self.route(ms: 900, count: 5)])
        #expect(NonBlockingCheck().judge(["without": without, "optimized": heavySlow, "naive": naiveMild], plan: quick).outcome == .failed)
        let healthy = Self.measurement(["article": Self.route(ms: 10)])
        let hangErrors = Self.measurement(["article": Self.route(ms: 30, errors: 1)])
        #expect(ExternalCallsCheck().judge(["healthy": healthy, "optimized": hangErrors, "naive": healthy], plan: quick).outcome == .failed)
    }

    @Test func externalCallsNeedZeroErrorsOnOtherRoutes() {
        let check = ExternalCallsCheck()
        let healthy = Self.measurement(["article": Self.route(ms: 10), "related": Self.route(ms: 15)])
        let hangOK = Self.measurement(["article": Self.route(ms: 11), "related": Self.route(ms: 1000, errors: 50)])
        let naive = Self.measurement(["article": Self.route(ms: 5000, errors: 30)])
        #expect(check.judge(["healthy": healthy, "optimized": hangOK, "naive": naive], plan: plan).outcome == .passed)
        let hangErrors = Self.measurement(["article": Self.route(ms: 11, errors: 1)])
        #expect(check.judge(["healthy": healthy, "optimized": hangErrors, "naive": naive], plan: plan).outcome == .failed)
        let hangSlow = Self.measurement(["article": Self.route(ms: 30)])
        #expect(check.judge(["healthy": healthy, "optimized": hangSlow, "naive": naive], plan: plan).outcome == .failed)
    }

    @Test func poolingFailsOnAnyAcquireTimeout() {
        let check = PoolingCheck()
        let ok = Self.measurement(["a": Self.route(ms: 2)])
        #expect(check.judge(["optimized": ok, "naive": Self.measurement(["a": Self.route(ms: 2)], poolTimeouts: 9)], plan: plan).outcome == .passed)
        #expect(check.judge(["optimized": Self.measurement(["a": Self.route(ms: 2)], poolTimeouts: 1), "naive": ok], plan: plan).outcome == .failed)
    }

    @Test func payloadsNeedHalfTheBytesOfListsAndExportsAndLessEncodeTime() {
        func payloads(listBytes: UInt64, exportBytes: UInt64, encodeMs: Double) -> VerifyMeasurement {
            var m = VerifyMeasurement()
            m.routes["list 100"] = .init(completed: 10, bytes: 10 * listBytes)
            m.routes["list 500"] = .init(completed: 10, bytes: 10 * listBytes)
            m.routes["export by tag"] = .init(completed: 2, bytes: 2 * exportBytes)
            m.routes["article"] = .init(completed: 100, bytes: 100 * 900_000)  // not a large list: never counted
            m.backend["GET /api/articles"] = .init(requests: 20, encodeNanoseconds: UInt64(encodeMs * 20e6))
            return m
        }
        let check = PayloadsCheck()
        let naive = payloads(listBytes: 200_000, exportBytes: 1_000_000, encodeMs: 4)
        #expect(check.judge(["naive": naive, "optimized": payloads(listBytes: 50_000, exportBytes: 240_000, encodeMs: 1)], plan: plan).outcome == .passed)
        // Export barely smaller: fails even though the lists shrank.
        #expect(check.judge(["naive": naive, "optimized": payloads(listBytes: 50_000, exportBytes: 600_000, encodeMs: 1)], plan: plan).outcome == .failed)
        // Encode time not reduced: fails.
        #expect(check.judge(["naive": naive, "optimized": payloads(listBytes: 50_000, exportBytes: 240_000, encodeMs: 4)], plan: plan).outcome == .failed)
        // No exports answered: a figure is missing, never a pass.
        var noExport = payloads(listBytes: 50_000, exportBytes: 240_000, encodeMs: 1)
        noExport.routes["export by tag"] = nil
        #expect(check.judge(["naive": naive, "optimized": noExport], plan: plan).outcome == .failed)
    }

    @Test func memoryNeedsFlatBoundedAndGrowingUnbounded() {
        let seconds = Int(plan.leakMeasureSeconds)
        func series(_ mb: (Double) -> Double) -> VerifyMeasurement {
            var m = VerifyMeasurement()
            m.memorySamples = (0...seconds).map { MemorySample(t: Double($0), rssAnonBytes: UInt64(mb(Double($0)) * 1_048_576), heapInUseBytes: 0) }
            return m
        }
        let check = MemoryCheck()
        let flat = series { t in 100 + 0.3 * sin(t) }
        let leaking = series { t in 100 + t }  // 1 MB/s: 64× the detector's threshold
        #expect(check.judge(["optimized": flat, "naive": leaking], plan: plan).outcome == .passed)
        // The detector missing the leak fails the check, as does a bounded side that grows.
        #expect(check.judge(["optimized": flat, "naive": flat], plan: plan).outcome == .failed)
        #expect(check.judge(["optimized": leaking, "naive": leaking], plan: plan).outcome == .failed)
        // Too few samples for a verdict: failed, not passed.
        var short = leaking
        short.memorySamples = Array(short.memorySamples.prefix(3))
        #expect(check.judge(["optimized": flat, "naive": short], plan: plan).outcome == .failed)
    }

    @Test func checkNamesMatchWholeNamesOrWords() {
        #expect(VerifyChecks.matching("memory").map(\.name) == ["memory"])
        #expect(VerifyChecks.matching("response").map(\.name) == ["response time under load"])
        #expect(VerifyChecks.matching("external calls").map(\.name) == ["external calls"])
        #expect(VerifyChecks.matching("nonsense").isEmpty)
    }

    @Test func capacityNeedsTwiceTheNaiveRate() {
        func search(_ passing: [Double], _ failing: [Double]) -> VerifyMeasurement {
            var m = VerifyMeasurement()
            m.capacitySteps = passing.map { .init(offeredRate: $0, achievedRate: $0, p99Milliseconds: 10, errorRate: 0, passed: true) }
                + failing.map { .init(offeredRate: $0, achievedRate: $0 / 2, p99Milliseconds: 900, errorRate: 0, passed: false) }
            return m
        }
        let check = CapacityCheck()
        #expect(check.judge(["naive": search([25, 50], [100]), "optimized": search([200, 400, 800], [1600])], plan: plan).outcome == .passed)
        #expect(check.judge(["naive": search([25, 50], [100]), "optimized": search([50, 75], [100])], plan: plan).outcome == .failed)
        #expect(check.judge(["naive": search([], [25]), "optimized": search([], [200])], plan: plan).outcome == .failed)
    }

    @Test func checksWhoseKnobsAreMissingAreSkippedNotPassed() {
        let settings = KnobSettings(naive: ["cache": "off"], optimized: ["cache": "on"], faults: [:])
        for check in VerifyChecks.all where check.knobs.contains(where: { !settings.known.contains($0) }) {
            let verdict = VerifyCommand.verdict(for: check, settings: settings, measured: [:], plan: plan)
            guard case .skipped(let why) = verdict.outcome else {
                Issue.record("\(check.name) was not skipped")
                continue
            }
            #expect(why.hasPrefix("knob missing"))
        }
        // The payload and memory checks wait for knobs not on this backend yet.
        let real = KnobSettings(DemoBackend.knobDefinitions)
        for check in VerifyChecks.all where check.knobs.contains("memory") || check.knobs.contains("encoding") {
            if !check.knobs.allSatisfy(real.known.contains) {
                let v = VerifyCommand.verdict(for: check, settings: real, measured: [:], plan: plan)
                #expect(v.outcome != .passed)
            }
        }
    }

    @Test func ablationSharesAreFractionsOfTheWholeChange() {
        let naive = Ablation.Figures(p95Milliseconds: 100, achievedRate: 50, queriesPerRead: 10)
        let optimized = Ablation.Figures(p95Milliseconds: 10, achievedRate: 150, queriesPerRead: 2)
        let rows = Ablation.rows(naive: naive, optimized: optimized, families: [
            ("cache", on: .init(p95Milliseconds: 55, achievedRate: 100, queriesPerRead: 6),
             off: .init(p95Milliseconds: 19, achievedRate: 140, queriesPerRead: 6)),
        ])
        #expect(rows[0].shareOn.p95Milliseconds == 0.5)
        #expect(rows[0].shareOn.achievedRate == 0.5)
        #expect(rows[0].shareOn.queriesPerRead == 0.5)
        #expect(abs(rows[0].shareOff.p95Milliseconds - 0.1) < 1e-9)
        #expect(abs(rows[0].shareOff.achievedRate - 0.1) < 1e-9)
        #expect(rows[0].shareOff.queriesPerRead == 0.5)
        #expect(Ablation.share(5, from: 3, to: 3) == nil)
        // Ends that differ by noise (10.0/s vs 10.1/s achieved at a rate both sustain) give no share, not ±300%.
        #expect(Ablation.share(9.8, from: 10.0, to: 10.1) == nil)
    }

    @Test func ablationGroupsPoolSizeWithPool() {
        let definitions = DemoBackend.knobDefinitions
        let a = Ablation(settings: KnobSettings(definitions), definitions: definitions, rate: 100)
        #expect(a.families.first { $0.name == "pool" }?.knobs == ["pool", "pool_size"])
        #expect(!a.families.contains { Ablation.notInReadMix.contains($0.name) })
        // Each family alone on differs from all-naive in exactly its own knobs.
        let s = KnobSettings(definitions)
        for f in a.families {
            let on = a.aloneOn(f, s)
            #expect(Set(on.knobs.filter { s.naive[$0.key] != $0.value }.keys) == Set(f.knobs.filter { s.naive[$0] != s.optimized[$0] }))
        }
    }
}
