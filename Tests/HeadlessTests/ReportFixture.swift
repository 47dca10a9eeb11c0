import Foundation
import Metrics
@testable import Engine
@testable import Headless

/// Deterministic runs for the report tests: routes with given latencies, no network, no clock.
enum ReportFixture {
    struct RouteSpec {
        var name: String
        /// Corrected latencies in microseconds; service time is taken as half of each.
        var latenciesMicros: [UInt64]
        /// How many of the responses were 500s (the rest 200s).
        var errors: UInt64 = 0
    }

    /// A finished run of `routes` over `seconds` measured seconds.
    static func result(_ routes: [RouteSpec], seconds: Double = 10, thresholds: Thresholds = Thresholds(),
                       events: [TimelineEvent] = [], startedAt: String = "2026-12-05T11:00:00Z") -> RunResult {
        var profile = Profile(name: "fixture", source: "test")
        profile.thresholds = thresholds
        var load = LoadSnapshot()
        load.model = .open(ratePerSecond: 100)
        var routeSnapshots: [RouteSnapshot] = []
        var histograms: [RouteHistograms] = []
        for spec in routes {
            var h = RouteHistograms(name: spec.name)
            for v in spec.latenciesMicros {
                h.latency.record(nanoseconds: v * 1000)
                h.service.record(nanoseconds: v * 500)
            }
            var counts = LoadCounts()
            counts.sent = UInt64(spec.latenciesMicros.count)
            counts.completed = UInt64(spec.latenciesMicros.count)
            counts.errors = spec.errors
            counts.unexpectedErrors = spec.errors   // no route of the fixture declares expected statuses
            counts.statusCounts = [200: counts.completed - spec.errors]
            if spec.errors > 0 { counts.statusCounts[500] = spec.errors }
            counts.bytesReceived = counts.completed * 100
            var r = RouteSnapshot(name: spec.name)
            r.total = counts
            r.latencyTotal = h.latency.summary
            r.serviceTotal = h.service.summary
            routeSnapshots.append(r)
            histograms.append(h)
            load.total.add(counts)
            load.latencyTotal.merge(h.latency)
            load.serviceTotal.merge(h.service)
        }
        let final = Snapshot(sequence: 100, elapsedSeconds: seconds, intervalSeconds: 0.1, phase: .finished, paused: false,
                             load: load, routes: routeSnapshots, backend: nil, events: events)
        let achieved = Double(load.total.completed) / seconds
        return RunResult(profile: profile, targetDescription: "http://127.0.0.1:9/", startedAt: startedAt, warmupSeconds: 0,
                         measuredSeconds: seconds, final: final, samples: [], events: events, knobValues: ["cache": "on"],
                         thresholds: evaluateThresholds(thresholds, load: load, achievedRate: achieved),
                         routeHistograms: histograms)
    }

    /// `count` latencies from `low` µs growing by `step` µs.
    static func ramp(_ count: Int, from low: UInt64, step: UInt64) -> [UInt64] {
        (0..<count).map { low + UInt64($0) * step }
    }

    /// Per-second rows: rate and p50/p99 in ms, each second's values from `values(i)`.
    static func seconds(_ n: Int, _ values: (Int) -> (rate: Double, p50: Double, p99: Double, errors: UInt64)) -> [Report.Second] {
        (0..<n).map { i in
            let v = values(i)
            return Report.Second(t: Double(i + 1), offeredRate: v.rate, achievedRate: v.rate, errors: v.errors, inFlight: 1,
                                 p50: v.p50, p90: v.p99 * 0.9, p95: v.p99 * 0.95, p99: v.p99, max: v.p99 * 2, serviceP99: v.p99 / 2)
        }
    }

    /// A known report: two routes, a missed and a held threshold, two events, ten seconds.
    static func known() -> Report {
        var t = Thresholds()
        t.p99Seconds = 0.010
        t.maxErrorRate = 0.5
        var r = ReportJSON.report(result(
            [RouteSpec(name: "GET /a", latenciesMicros: ramp(200, from: 1000, step: 50)),
             RouteSpec(name: "GET /b", latenciesMicros: ramp(100, from: 5000, step: 200), errors: 3)],
            thresholds: t,
            events: [TimelineEvent(atSeconds: 3, kind: "knob", detail: "cache=off", source: "profile"),
                     TimelineEvent(atSeconds: 6, kind: "knob", detail: "dependency=hang", source: "key")]))
        r.timeSeries = seconds(10) { i in (30, 3 + Double(i % 3) * 0.1, 20 + Double(i % 2), i == 5 ? 3 : 0) }
        return r
    }
}
