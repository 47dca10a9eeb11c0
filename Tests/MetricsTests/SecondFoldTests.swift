import Testing
@testable import Metrics

/// A hand-stepped run: each `tick` makes the snapshot of one tick ending at `end` seconds, in which `completed`
/// responses (1 ms each, every 10th a 503) arrived. Times are multiples of 1/8 s so the arithmetic is exact.
private struct SteppedRun {
    var sequence = 0
    var elapsed = 0.0
    var total = LoadCounts()
    var backend = BackendSnapshot()

    mutating func tick(to end: Double, completed: UInt64, offered: Double = 40, latency: UInt64 = 1_000_000) -> Snapshot {
        var interval = LoadCounts()
        var histogram = LatencyHistogram()
        for i in 0..<completed {
            let status = i % 10 == 9 ? 503 : 200
            interval.sent += 1
            interval.completed += 1
            interval.statusCounts[status, default: 0] += 1
            if status >= 400 { interval.errors += 1; interval.unexpectedErrors += 1 }
            histogram.record(nanoseconds: latency)
        }
        total.add(interval)
        var load = LoadSnapshot()
        load.offeredRate = offered
        load.interval = interval
        load.total = total
        load.latencyInterval = histogram
        load.serviceInterval = histogram
        load.inFlight = Int(completed)
        var route = RouteSnapshot(name: "GET /a")
        route.interval = interval
        route.total = total
        route.latencyInterval = histogram
        sequence += 1
        defer { elapsed = end }
        return Snapshot(sequence: sequence, elapsedSeconds: end, intervalSeconds: end - elapsed, phase: .measuring,
                        load: load, routes: [route], backend: backend)
    }

    /// The statistics start over (the console's `r`): totals from zero.
    mutating func resetStatistics() { total = LoadCounts() }
}

private func backend(hits: UInt64, misses: UInt64, requests: UInt64, queries: UInt64, acquires: UInt64) -> BackendSnapshot {
    var b = BackendSnapshot()
    var cache = CacheProbe()
    cache.hits = hits; cache.misses = misses
    b.cache = cache
    var pool = PoolProbe()
    pool.acquires = acquires; pool.inUse = 3
    b.pool = pool
    var route = BackendRouteProbe(route: "GET /api/articles")
    route.requests = requests; route.dbQueries = queries
    b.routes = [route]
    return b
}

/// The sample a step completed (a test failure when it completed none).
private func required(_ sample: SecondSample?) throws -> SecondSample { try #require(sample) }

@Suite("SecondFold: one per-second fold for the console and the report")
struct SecondFoldTests {
    @Test func aTickBelongsToTheSecondHoldingItsMiddle() throws {
        var run = SteppedRun()
        var fold = SecondFold()
        // Second 0: four quarter-second ticks; the one ending exactly at 1.0 s covers (0.75, 1.0] and stays in 0.
        for end in [0.25, 0.5, 0.75, 1.0] {
            let completed = fold.add(run.tick(to: end, completed: 10))
            #expect(completed == nil)
        }
        #expect(fold.secondInProgress == 0)
        // A late tick (1.0, 1.375]: middle 1.1875, second 1; it completes second 0.
        let zero = try required(fold.add(run.tick(to: 1.375, completed: 15)))
        #expect(zero.second == 0 && zero.seconds == 1)
        #expect(zero.rate == 40 && zero.errors == 4 && zero.errorsPerSecond == 4 && zero.errorRate == 0.1)
        #expect(zero.statusPerSecond == [0, 36, 0, 0, 4])
        #expect(zero.offered == 40 && zero.inFlight == 10)
        #expect(zero.latency.count == 40 && zero.latency.p99 == LatencyHistogram.single(1_000_000).percentile(99))
        // (1.375, 1.875] stays in second 1; (1.875, 2.625] straddles 2.0 with its middle at 2.25: all of it is second 2.
        var completed = fold.add(run.tick(to: 1.875, completed: 20))
        #expect(completed == nil)
        let one = try required(fold.add(run.tick(to: 2.625, completed: 30)))
        #expect(one.second == 1)
        #expect(one.seconds == 0.875)   // from the end of second 0's last tick (1.0) to the end of its own (1.875)
        #expect(one.rate == 35 / 0.875 && one.latency.count == 35)
        // Offered is averaged by tick length: 0.375 s at 40/s and 0.5 s at 40/s.
        #expect(one.offered == 40)
        // (2.625, 3.125]: middle 2.875, still second 2. A run's last second is completed by finish().
        completed = fold.add(run.tick(to: 3.125, completed: 10, offered: 80))
        #expect(completed == nil)
        let two = try required(fold.finish())
        #expect(two.second == 2 && two.seconds == 1.25 && two.rate == 40 / 1.25)
        #expect(two.offered == (40 * 0.75 + 80 * 0.5) / 1.25)
        let nothing = fold.finish()
        #expect(nothing == nil)
        #expect(SecondFold.second(of: run.tick(to: 4.0, completed: 0)) == 3)
    }

    @Test func aStatisticsResetCountsTheSecondFromTheReset() throws {
        var run = SteppedRun()
        var fold = SecondFold()
        _ = fold.add(run.tick(to: 0.5, completed: 20))
        _ = fold.add(run.tick(to: 1.0, completed: 20))
        // Second 1: 30 responses, then the statistics start over and 10 more arrive.
        _ = fold.add(run.tick(to: 1.5, completed: 30))
        run.resetStatistics()
        _ = fold.add(run.tick(to: 2.0, completed: 10))
        let one = try required(fold.add(run.tick(to: 2.5, completed: 10)))
        // Totals went down (40 → 10): what they hold now is all new. Latency comes from every tick's interval.
        #expect(one.second == 1 && one.rate == 10 && one.errors == 1)
        #expect(one.latency.count == 40)
        // The next second counts from the reset totals as usual.
        _ = fold.add(run.tick(to: 3.0, completed: 10))
        let two = try required(fold.finish())
        #expect(two.second == 2 && two.rate == 20)
    }

    @Test func aRestartedBackendCountsItsTotalsAnew() throws {
        var run = SteppedRun()
        var fold = SecondFold(perRoute: true)
        run.backend = backend(hits: 800, misses: 200, requests: 1_000, queries: 5_000, acquires: 900)
        _ = fold.add(run.tick(to: 1.0, completed: 10))
        // Second 1: the backend restarts, its totals start from zero.
        run.backend = backend(hits: 30, misses: 10, requests: 20, queries: 60, acquires: 25)
        _ = fold.add(run.tick(to: 2.0, completed: 10))
        run.backend = backend(hits: 90, misses: 30, requests: 60, queries: 180, acquires: 75)
        let second1 = try required(fold.add(run.tick(to: 3.0, completed: 10)))
        let one = try #require(second1.backend)
        #expect(one.cacheHitRate == 0.75)
        #expect(one.poolAcquiresPerSecond == 25 && one.poolInUse == 3)
        #expect(one.queriesPerRequest == 3 && one.queriesPerSecond == 60)
        #expect(one.routes.map(\.requests) == [20])
        // After the restart, plain differences again.
        let second2 = try required(fold.finish())
        let two = try #require(second2.backend)
        #expect(two.cacheHitRate == 0.75 && two.poolAcquiresPerSecond == 50 && two.queriesPerRequest == 3)
    }

    @Test func beginAtLeavesTheResetTickOut() throws {
        var run = SteppedRun()
        var fold = SecondFold()
        _ = fold.add(run.tick(to: 1.0, completed: 99))   // warm-up, forgotten
        run.resetStatistics()
        // The tick that ended the warm-up: measuring starts at its end (2.0 s), its 3 responses are not a second's.
        fold.begin(at: run.tick(to: 2.0, completed: 3))
        #expect(fold.secondInProgress == nil)
        _ = fold.add(run.tick(to: 2.5, completed: 10))
        _ = fold.add(run.tick(to: 3.0, completed: 10))
        let two = try required(fold.add(run.tick(to: 3.5, completed: 10)))
        #expect(two.second == 2 && two.seconds == 1 && two.rate == 20 && two.latency.count == 20)
    }

    @Test func theCompletedSecondsLatencyIsHandedOverAndItsStorageReused() throws {
        var run = SteppedRun()
        var fold = SecondFold()
        _ = fold.add(run.tick(to: 1.0, completed: 10, latency: 2_000_000))
        _ = try required(fold.add(run.tick(to: 2.0, completed: 5, latency: 3_000_000)))
        #expect(fold.completedCorrected.count == 10 && fold.completedService.count == 10)
        // A reader takes it by swapping in a used histogram: the fold resets that one before using it.
        var taken = LatencyHistogram.single(9_000_000)
        swap(&taken, &fold.completedCorrected)
        #expect(taken.count == 10 && taken.maxNanoseconds == 2_000_000)
        _ = try required(fold.add(run.tick(to: 3.0, completed: 1, latency: 4_000_000)))
        #expect(fold.completedCorrected.count == 5 && fold.completedCorrected.maxNanoseconds == 3_000_000)
        let last = try required(fold.finish())
        #expect(last.latency.count == 1)
    }

    @Test func perRouteFoldsKeepRouteFiguresAndTheReportFoldDoesNot() throws {
        var run = SteppedRun()
        run.backend = backend(hits: 0, misses: 0, requests: 10, queries: 10, acquires: 0)
        var console = SecondFold(perRoute: true), report = SecondFold()
        for end in [0.5, 1.0] {
            let s = run.tick(to: end, completed: 20)
            _ = console.add(s); _ = report.add(s)
        }
        let a = try required(console.finish()), b = try required(report.finish())
        #expect(a.routes["GET /a"] == RouteSecond(rate: 40, errorRate: 0.1, latency: a.latency))
        #expect(a.backend?.routes.count == 1)
        #expect(b.routes.isEmpty && b.backend?.routes.isEmpty == true)
        // Everything else is the same sample.
        var stripped = a
        stripped.routes = [:]; stripped.backend?.routes = []
        #expect(stripped == b)
    }
}

extension LatencyHistogram {
    static func single(_ nanoseconds: UInt64) -> LatencyHistogram {
        var h = LatencyHistogram()
        h.record(nanoseconds: nanoseconds)
        return h
    }
}
