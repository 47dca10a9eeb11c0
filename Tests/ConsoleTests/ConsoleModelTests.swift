import Testing
@testable import Console
import Metrics

@Suite("ConsoleModel: what the console derives from snapshots")
struct ConsoleModelTests {
    @Test func perSecondRatesComeFromTotals() throws {
        let m = Fixtures.model(ticks: 25)
        // Ticks 0–9 are second 0, 10–19 second 1; second 2 is still open.
        #expect(m.seconds.count == 2)
        let s = try #require(m.lastSecond)
        #expect(s.second == 1)
        // 100 sends per tick: 1 timeout, 2 × 503, 97 × 200.
        #expect(abs(s.rate - 990) < 0.001)
        #expect(abs(s.errorsPerSecond - 30) < 0.001)
        #expect(abs(s.errorRate - 0.03) < 1e-9)
        #expect(abs(s.statusPerSecond[1] - 970) < 0.001)
        #expect(abs(s.statusPerSecond[4] - 20) < 0.001)
        let timeout = TransportErrorKind.allCases.firstIndex(of: .timeout)!
        #expect(abs(s.transportPerSecond[timeout] - 10) < 0.001)
        #expect(abs(s.offered - 1000) < 1e-9)   // averaged by tick length
        #expect(s.latency.p50 > 0 && s.latency.p99 >= s.latency.p50)
    }

    @Test func backendTotalsBecomePerSecondRates() throws {
        let m = Fixtures.model(ticks: 25)
        let b = try #require(m.lastSecond?.backend)
        #expect(b.cacheHitRate == 0.8)
        #expect(abs(b.cacheEvictionsPerSecond - 20) < 0.001)
        #expect(abs(b.cacheQueriesSavedPerSecond - 1600) < 0.001)
        #expect(abs(try #require(b.queriesPerRequest) - 21) < 1e-9)
        #expect(b.breakerRejectedPerSecond["flaky"].map { abs($0 - 120) < 0.001 } == true)
    }

    @Test func rollingWindowHoldsOnlyTheLastSeconds() {
        var m = Fixtures.model(ticks: 150)
        // 14 completed seconds; the default window is 10 s of 990 responses each.
        #expect(m.windowCoveredSeconds == 10)
        #expect(m.shownLatency.corrected.count == 10 * 990)
        #expect(m.shownLatency.service.count == 10 * 990)
        _ = m.handle(.character("("), knobs: nil)   // 10 → 5 s
        #expect(m.windowSeconds == 5)
        #expect(m.shownLatency.corrected.count == 5 * 990)
        _ = m.handle(.character("w"), knobs: nil)
        #expect(m.windowMode == .wholeRun)
        #expect(m.shownLatency.corrected.count == 150 * 99)
    }

    @Test func windowNeverKeepsMoreThanSixtySeconds() {
        var m = ConsoleModel(title: "t")
        for s in Fixtures.snapshots(700, rate: 100) { m.ingest(s) }
        m.setWindow(seconds: 60)
        #expect(m.windowCoveredSeconds == 60)
        #expect(m.shownLatency.corrected.count == 60 * 90)   // 10 sends per tick, one of them a timeout
    }

    @Test func missedSnapshotsAreCountedAndRatesStayExact() throws {
        var m = ConsoleModel(title: "t")
        for (i, s) in Fixtures.snapshots(25).enumerated() where i % 2 == 0 { m.ingest(s) }
        #expect(m.missedSnapshots == 12)
        #expect(abs(try #require(m.lastSecond).rate - 990) < 0.001)
    }

    @Test func repeatedSequenceIsIgnored() {
        var m = ConsoleModel(title: "t")
        let s = Fixtures.snapshots(1)[0]
        m.ingest(s); m.ingest(s)
        #expect(m.missedSnapshots == 0)
        #expect(m.latest?.sequence == 0)
    }

    @Test func resetKeyClearsDerivedStateAndAsksTheSession() {
        var m = Fixtures.model(ticks: 30)
        let actions = m.handle(.character("r"), knobs: nil)
        #expect(actions == [.resetStatistics])
        #expect(m.seconds.isEmpty)
        #expect(m.shownLatency.corrected.isEmpty)
    }

    @Test func aNewRunBehindTheSessionStartsAfresh() {
        var m = Fixtures.model(ticks: 30)
        m.ingest(Fixtures.snapshots(1)[0])   // sequence 0 again
        #expect(m.seconds.isEmpty)
        #expect(m.latest?.sequence == 0)
    }
}
