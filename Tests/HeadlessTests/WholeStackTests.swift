import DemoBackend
import Foundation
import Metrics
import Testing
import TestSupport
@testable import Engine
@testable import Headless

/// The whole stack in-process through the one assembly path: `RunBuilder` assembles the embedded demo backend
/// (seeded at a tiny scale into a temporary directory), the load generator and the session; the session ticks on
/// a clock the test steps; the result becomes a report. Load and backend run in real time: the test waits for the
/// backend to have served requests (a condition, not a sleep) before stepping the run's time to its end.
@Suite struct WholeStackTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func embeddedRunProducesSnapshotsAndAReportWithTheBackendView() throws {
        let directory = try TemporaryDirectory(prefix: "dyno-whole-stack")
        defer { directory.remove() }
        var profile = try ProfileParser.load(path: Self.packageRoot.appendingPathComponent("Profiles/ci.json").path,
                                             knobs: DemoBackend.makeKnobRegistry())
        profile.backend.dataDirectory = directory.path
        profile.backend.scale = 0.01
        let clock = ManualRunClock()
        let built = try RunBuilder.build(profile: profile, clock: clock, progress: { _ in })
        defer { built.shutdown() }
        let backend = try #require(built.backend)
        let session = built.session
        try session.start()

        // Through the warm-up (2 s of the run's time): statistics are reset when it ends.
        #expect(clock.step(through: 2_100_000_000))
        #expect(session.latestSnapshot?.phase == .measuring)
        // Real load reaches the real backend meanwhile; wait until it has answered a good number of requests.
        func served() -> UInt64 { backend.probe().routes.reduce(0) { $0 + $1.requests } }
        let before = served()
        #expect(waitUntilBlocking(deadline: .seconds(60)) { served() >= before + 60 })
        // The rest of the run (12 s in all), tick by tick; the session then stops the load by itself.
        clock.step(through: 10_000_000_000)
        session.waitUntilFinished()

        let result = session.result()
        #expect(result.final.phase == .finished)
        #expect(result.knobValues["cache"] == "on")                 // the profile's optimized preset was applied
        #expect(result.events.contains { $0.kind == "preset" || $0.kind == "knob" })
        #expect(result.measuredSeconds >= 9.8 && result.measuredSeconds <= 10.1)
        let load = result.final.load
        #expect(load.total.completed > 0)
        #expect(load.total.errors == 0, "errors: \(load.total.statusCounts) \(load.total.transportErrors)")
        #expect(!result.samples.isEmpty)
        let backendView = try #require(result.final.backend)
        #expect(backendView.cache?.enabled == true)
        #expect(backendView.pool?.mode == .pool)
        #expect(backendView.serving?.model == .offloaded)
        #expect(backendView.routes.contains { $0.route.contains("/api/articles") && $0.requests > 0 })

        // The report carries the same figures.
        let doc = try #require(try JSONSerialization.jsonObject(with: ReportJSON.data(result)) as? [String: Any])
        let totals = try #require(doc["totals"] as? [String: Any])
        #expect(totals["completed"] as? UInt64 == load.total.completed || totals["completed"] as? Int == Int(load.total.completed))
        let backendDoc = try #require(doc["backend"] as? [String: Any])
        #expect(backendDoc["routes"] != nil)
        #expect((doc["timeSeries"] as? [Any])?.isEmpty == false)
    }
}
