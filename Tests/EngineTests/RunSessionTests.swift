import Foundation
import Knobs
import Metrics
import Synchronization
import Testing
import TestSupport
@testable import Engine

/// A scripted load driver: every collect reports `perTick` completions of 1 ms, and records what was asked of it.
final class FakeDriver: LoadDriver {
    struct State {
        var collects = 0
        var resets = 0
        var stopped = false
        var paused = false
        var rate: Double? = nil
        var users: Int? = nil
        var total = LoadCounts()
        var totalLatency = LatencyHistogram()
    }
    let state = Mutex(State())
    let perTick: UInt64

    init(perTick: UInt64 = 10) { self.perTick = perTick }

    func prepare() throws {}
    func start() {}
    func collect() -> (load: LoadSnapshot, routes: [RouteSnapshot]) {
        state.withLock { s in
            s.collects += 1
            var interval = LoadCounts()
            interval.sent = perTick
            interval.completed = perTick
            interval.statusCounts = [200: perTick]
            s.total.add(interval)
            var h = LatencyHistogram()
            h.record(nanoseconds: 1_000_000, count: perTick)
            s.totalLatency.merge(h)
            var load = LoadSnapshot()
            load.interval = interval
            load.total = s.total
            load.latencyInterval = h
            load.latencyTotal = s.totalLatency
            load.serviceInterval = h
            load.serviceTotal = s.totalLatency
            load.achievedRate = Double(perTick) / 0.01
            return (load, [])
        }
    }
    func stop() { state.withLock { $0.stopped = true } }
    func pause() { state.withLock { $0.paused = true } }
    func resume() { state.withLock { $0.paused = false } }
    func setRate(_ perSecond: Double) { state.withLock { $0.rate = perSecond } }
    func setUsers(_ users: Int) { state.withLock { $0.users = users } }
    func resetStatistics() {
        state.withLock { s in
            s.resets += 1
            s.total = LoadCounts()
            s.totalLatency.reset()
        }
    }
}

private func registry() -> KnobRegistry {
    KnobRegistry([KnobDefinition(id: "cache", kind: .choice(["off", "on"]), defaultValue: "off", naiveValue: "off",
                                 optimizedValue: "on", key: "c", summary: "cache")], clock: MonotonicClock.nanoseconds)
}

@Suite struct RunSessionTests {
    @Test func anOpenEndedSessionKeepsOnlyTheNewestSamplesItIsAskedTo() throws {
        var profile = Profile(name: "t", source: "test")
        profile.mix = [RouteSpec(name: "r", path: "/")]
        profile.load = .closed(users: 1, thinkTimeSeconds: 0)
        profile.warmupSeconds = 0
        profile.durationSeconds = nil
        let clock = ManualRunClock()
        let session = RunSession(profile: profile, driver: FakeDriver(), knobs: nil, targetDescription: "fake",
                                 probe: nil, tickSeconds: 0.1, clock: clock)
        session.retainSamples(atMost: 5)
        try session.start()
        #expect(clock.step(through: 40_000_000_000))
        let samples = session.result().samples
        // At most the limit plus its trim batch (an eighth, at least 1) and the second in progress; the oldest gone.
        #expect(samples.count >= 5 && samples.count <= 7)
        #expect((samples.first?.second ?? 0) >= 32)
        #expect(samples.last?.second == 39)
        session.requestStop()
        clock.advance(by: 100_000_000)  // wakes the tick loop, which sees the stop
        session.waitUntilFinished()
    }

    @Test func runsForItsDurationAppliesTheKnobScheduleAndResetsAfterWarmup() throws {
        var profile = Profile(name: "t", source: "test")
        profile.mix = [RouteSpec(name: "r", path: "/")]
        profile.load = .closed(users: 3, thinkTimeSeconds: 0)
        profile.warmupSeconds = 0.05
        profile.durationSeconds = 0.25
        profile.knobSchedule = [KnobStep(atSeconds: 0.1, preset: nil, set: ["cache": "on"])]
        profile.thresholds.p99Seconds = 0.5
        let knobs = registry()
        let driver = FakeDriver()
        // A test clock: with the wall clock, a machine too busy to tick before the warm-up ended gave no tick to
        // discard, and the totals below then held everything.
        let clock = ManualRunClock()
        let session = RunSession(profile: profile, driver: driver, knobs: knobs, targetDescription: "fake",
                                 probe: nil, tickSeconds: 0.01, clock: clock)
        try session.start()
        // Tick by tick to the end of the run (warm-up 0.05 s + 0.25 s measured), which it then reaches on its own.
        #expect(clock.step(through: 300_000_000))
        session.waitUntilFinished()

        #expect(driver.state.withLock { $0.stopped })
        #expect(driver.state.withLock { $0.resets } == 1)          // once, when the warm-up ended
        #expect(knobs["cache"]?.value == "on")
        let result = session.result()
        let knobEvents = result.events.filter { $0.kind == "knob" }
        #expect(knobEvents.map(\.detail) == ["cache=on"])
        #expect(knobEvents.first.map { $0.atSeconds >= 0.1 } == true)
        #expect(result.events.contains { $0.kind == "measure" })
        #expect(result.final.phase == .finished)
        #expect(result.final.elapsedSeconds >= 0.3)
        // Totals cover only the measured part: fewer than everything the driver produced.
        let producedTicks = UInt64(driver.state.withLock { $0.collects })
        #expect(result.final.load.total.completed < producedTicks * 10)
        #expect(result.final.load.total.completed > 0)
        #expect(result.thresholds.map(\.name) == ["p99"])
        #expect(result.passed)
    }

    @Test func liveControlsReachTheDriverAndTheTimeline() throws {
        var profile = Profile(name: "t", source: "test")
        profile.mix = [RouteSpec(name: "r", path: "/")]
        profile.load = .open(stages: [.constant(rate: 100, durationSeconds: 0)], connections: 4)
        let driver = FakeDriver()
        let session = RunSession(profile: profile, driver: driver, knobs: nil, targetDescription: "fake",
                                 probe: nil, tickSeconds: 0.01)
        try session.start()
        session.adjustRate(by: 2)
        session.togglePause()
        #expect(driver.state.withLock { $0.rate } == 200)
        #expect(driver.state.withLock { $0.paused })
        session.togglePause()
        #expect(!driver.state.withLock { $0.paused })
        session.adjustUsers(by: 5)                                  // open model: ignored
        #expect(driver.state.withLock { $0.users } == nil)
        session.requestStop()
        session.waitUntilFinished()
        let kinds = session.result().events.map(\.kind)
        #expect(kinds.starts(with: ["rate", "pause", "resume"]))
    }

    @Test func thresholdsReportMissesWithActualValues() {
        var load = LoadSnapshot()
        load.latencyTotal.record(nanoseconds: 300_000_000)
        load.total.sent = 10
        load.total.completed = 10
        load.total.errors = 2
        load.total.unexpectedErrors = 2
        var t = Thresholds()
        t.p99Seconds = 0.2
        t.maxErrorRate = 0.1
        t.minRate = 5
        let out = evaluateThresholds(t, load: load, achievedRate: 4)
        #expect(out.map(\.name) == ["p99", "errorRate", "minRate"])
        #expect(out.map(\.passed) == [false, false, false])
        #expect(out[0].actual == "300 ms")
    }
}
