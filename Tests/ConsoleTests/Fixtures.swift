@testable import Console
import Knobs
import Metrics
import Synchronization

/// Deterministic runs for the console tests: every snapshot is a pure function of its tick number.
enum Fixtures {
    static let knobDefinitions: [KnobDefinition] = [
        KnobDefinition(id: "cache", kind: .choice(["off", "on"]), defaultValue: "off", naiveValue: "off",
                       optimizedValue: "on", key: "c", summary: "read-through cache in front of the database"),
        KnobDefinition(id: "pool", kind: .integer(1...64), defaultValue: "4", naiveValue: "1",
                       optimizedValue: "16", key: "p", summary: "database connection pool size"),
        KnobDefinition(id: "serving", kind: .choice(["blocking", "offloaded"]), defaultValue: "blocking",
                       naiveValue: "blocking", optimizedValue: "offloaded", key: "b", summary: "where slow work runs"),
        KnobDefinition(id: "encoding", kind: .choice(["foundation", "direct", "gzip"]), defaultValue: "foundation",
                       naiveValue: "foundation", optimizedValue: "gzip", key: "e", summary: "response encoder"),
    ]

    static func registry() -> KnobRegistry {
        let ticks = Atomic<UInt64>(0)
        return KnobRegistry(knobDefinitions, clock: { ticks.add(1, ordering: .relaxed).newValue })
    }

    static let routeNames = ["GET /api/articles", "GET /api/articles/:slug", "POST /api/users/login", "GET /api/tags"]

    /// A small deterministic generator (LCG) so latencies look like a real spread without randomness.
    struct LCG {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    /// Ticks 0..<count of a deterministic run (100 ms each) at ~`rate` requests/s: one slow route, a few 5xx and
    /// timeouts, every backend probe, and a knob change event at 3.0 s. `latencyScale` multiplies every latency.
    /// `serverRoutes` adds the backend's per-route probes (DB work, stage times) and a live index build.
    static func snapshots(_ count: Int, rate: Double = 1000, backend: Bool = true, latencyScale: Double = 1,
                          model: LoadModel = .open(ratePerSecond: 1000), firstTick: Int = 0,
                          serverRoutes: Bool = false) -> [Snapshot] {
        var out: [Snapshot] = []
        var total = LoadCounts()
        var latencyTotal = LatencyHistogram(), serviceTotal = LatencyHistogram()
        var routeTotals = [LoadCounts](repeating: LoadCounts(), count: routeNames.count)
        let perTick = Int(rate / 10)
        for tick in 0..<(firstTick + count) {
            var s = Snapshot()
            s.sequence = tick
            s.elapsedSeconds = Double(tick + 1) * 0.1
            s.intervalSeconds = 0.1
            s.phase = tick < 10 ? .warmup : .measuring
            var load = LoadSnapshot()
            load.model = model
            load.offeredRate = rate
            load.inFlight = 7
            load.openConnections = 32
            var routes = routeNames.map { RouteSnapshot(name: $0) }
            var r = LCG(state: UInt64(tick) &* 7919 &+ 17)
            var interval = LoadCounts()
            for i in 0..<perTick {
                let route = i % routeNames.count
                let jitter = r.next()
                let base: Double = route == 2 ? 8_000_000 : 900_000   // login is slow (password hashing)
                let ns = UInt64(base * latencyScale * (0.6 + jitter * jitter * 2.5))
                var one = LoadCounts()
                one.sent = 1
                one.bytesReceived = 1200
                if i % 97 == 5 {
                    one.transportErrors[.timeout] = 1
                    one.errors = 1
                    one.unexpectedErrors = 1
                } else {
                    let status = i % 53 == 7 ? 503 : 200
                    one.completed = 1
                    one.statusCounts[status] = 1
                    if status >= 400 { one.errors = 1; one.unexpectedErrors = 1 }
                    load.latencyInterval.record(nanoseconds: ns)
                    load.serviceInterval.record(nanoseconds: ns * 3 / 4)
                    routes[route].latencyInterval.record(nanoseconds: ns)
                }
                interval.add(one)
                routes[route].interval.add(one)
            }
            total.add(interval)
            latencyTotal.merge(load.latencyInterval)
            serviceTotal.merge(load.serviceInterval)
            load.interval = interval
            load.total = total
            load.latencyTotal = latencyTotal
            load.serviceTotal = serviceTotal
            load.achievedRate = Double(interval.completed) * 10
            s.load = load
            for i in routes.indices {
                routeTotals[i].add(routes[i].interval)
                routes[i].total = routeTotals[i]
                routes[i].latencyTotal = LatencySummary(count: 10, p50: 1_000_000 * UInt64(i + 1), p95: 2_000_000 * UInt64(i + 1),
                                                        p99: 3_000_000 * UInt64(i + 1), max: 4_000_000 * UInt64(i + 1))
            }
            s.routes = routes
            if backend { s.backend = backendSnapshot(tick: tick, serverRoutes: serverRoutes) }
            if s.elapsedSeconds >= 3.0 {
                s.events = [TimelineEvent(atSeconds: 3.0, kind: "knob", detail: "cache=on", source: "key")]
            }
            if tick >= firstTick { out.append(s) }
        }
        return out
    }

    static func backendSnapshot(tick: Int, serverRoutes: Bool = false) -> BackendSnapshot {
        let n = UInt64(tick + 1)
        var b = BackendSnapshot()
        b.rssBytes = 48 * 1_048_576 + n * 40_960
        var memory = MemoryProbe()
        memory.mode = .unbounded
        memory.rssAnonBytes = 40 * 1_048_576 + n * 40_960
        memory.rssFileBytes = 200 * 1_048_576
        memory.heapInUseBytes = 30 * 1_048_576 + n * 36_000
        memory.anon.samples = 40; memory.anon.slopeBytesPerSecond = 409_600; memory.anon.fit = 0.97; memory.anon.verdict = .growing
        memory.heap.samples = 40; memory.heap.slopeBytesPerSecond = 360_000; memory.heap.fit = 0.95; memory.heap.verdict = .growing
        memory.memoEntries = 1500; memory.memoBytes = 12 * 1_048_576
        b.memory = memory
        var cache = CacheProbe()
        cache.enabled = true
        cache.hits = n * 80; cache.misses = n * 20; cache.evictions = n * 2
        cache.entries = 1200; cache.bytes = 3 * 1_048_576; cache.capacityBytes = 16 * 1_048_576
        cache.dbQueriesSaved = n * 160
        b.cache = cache
        var pool = PoolProbe()
        pool.size = 8; pool.inUse = 6; pool.idle = 2; pool.waiters = 3; pool.acquires = n * 100; pool.timeouts = n / 5
        pool.acquireTime = LatencySummary(count: n * 100, p50: 120_000, p99: 4_500_000)
        b.pool = pool
        var serving = ServingProbe()
        serving.model = .blocking; serving.busyRatio = 0.83; serving.workerThreads = 2; serving.workerBusy = 2; serving.workerQueueLength = 5
        serving.connectionsWaiting = 62; serving.acceptQueue = 3
        b.serving = serving
        var jobs = JobsProbe()
        jobs.mode = .queued; jobs.workers = 2; jobs.queueDepth = Int(tick % 7); jobs.running = 2; jobs.completed = n * 10; jobs.failed = n / 10; jobs.retried = n / 20
        jobs.latency = LatencySummary(count: n * 10, p50: 12_000_000, p99: 340_000_000)
        b.jobs = jobs
        var flaky = BreakerProbe(dependency: "flaky")
        flaky.state = .open; flaky.failureRate = 0.52; flaky.calls = n * 30; flaky.failures = n * 15; flaky.rejected = n * 12
        var geo = BreakerProbe(dependency: "geo")
        geo.state = .closed; geo.failureRate = 0.01; geo.calls = n * 30
        flaky.slowCallRate = 0.1; flaky.probedAtNanoseconds = 100_000_000_000
        flaky.transitions = [BreakerProbe.Transition(sequence: 1, atNanoseconds: 88_000_000_000, from: .closed, to: .open)]
        b.breakers = [flaky, geo]
        var dependency = DependencyProbe()
        dependency.io = .blocking; dependency.fault = .hang; dependency.inFlight = 12; dependency.threadsBlocked = 2
        b.dependency = dependency
        var articles = BackendRouteProbe(route: "GET /api/articles")
        articles.requests = n * 50; articles.dbQueries = n * 50 * 21
        b.routes = [articles]
        if serverRoutes {
            b.routes = Self.serverRoutes(tick: tick)
            b.indexBuildProgress = 0.45
        }
        return b
    }

    /// Per tick: articles 50 requests with 21 queries each (N+1), the slug page 40 × 3, login 25 × 2 (mostly
    /// password hashing: "other"), tags 25 served from the cache, and background SQL with no requests.
    static func serverRoutes(tick: Int) -> [BackendRouteProbe] {
        let n = UInt64(tick + 1)
        func route(_ name: String, requests: UInt64, queries: UInt64, dbNs: UInt64, stages: [UInt64], meanNs: Double) -> BackendRouteProbe {
            var p = BackendRouteProbe(route: name)
            p.requests = n * requests
            p.dbQueries = n * requests * queries
            p.dbNanoseconds = n * requests * dbNs
            p.responseBytes = n * requests * (queries * 500 + 300)   // grows with the rows a route reads
            for (i, name) in ["queue", "pool", "cache", "db", "encode", "write"].enumerated() where stages[i] > 0 {
                p.stageNanoseconds[name] = n * requests * stages[i]
            }
            p.latency = LatencySummary(count: n * requests, mean: meanNs, p50: UInt64(meanNs), p99: UInt64(meanNs * 3))
            return p
        }
        var background = BackendRouteProbe(route: "background")
        background.dbQueries = n * 4
        background.dbNanoseconds = n * 4 * 50_000
        return [
            route("GET /api/articles", requests: 50, queries: 21, dbNs: 880_000,
                  stages: [30_000, 120_000, 5_000, 900_000, 150_000, 0], meanNs: 1_400_000),
            route("GET /api/articles/:slug", requests: 40, queries: 3, dbNs: 190_000,
                  stages: [20_000, 80_000, 4_000, 200_000, 60_000, 0], meanNs: 400_000),
            route("POST /api/users/login", requests: 25, queries: 2, dbNs: 100_000,
                  stages: [10_000, 40_000, 0, 110_000, 10_000, 0], meanNs: 8_000_000),
            route("GET /api/tags", requests: 25, queries: 0, dbNs: 0,
                  stages: [5_000, 0, 15_000, 0, 20_000, 0], meanNs: 50_000),
            background,
        ]
    }

    /// A model fed ticks 0..<ticks.
    static func model(ticks: Int, backend: Bool = true, serverRoutes: Bool = false,
                      title: String = "embedded demo · profile default") -> ConsoleModel {
        var m = ConsoleModel(title: title)
        for s in snapshots(ticks, backend: backend, serverRoutes: serverRoutes) { m.ingest(s) }
        return m
    }
}

/// A session that serves prepared snapshots and records what the console asked of it.
final class FakeSession: ConsoleSession {
    let title = "fake"
    let knobs: KnobRegistry?
    private let state = Mutex<(snapshot: Snapshot?, calls: [String])>((nil, []))

    init(knobs: KnobRegistry?) { self.knobs = knobs }

    var latestSnapshot: Snapshot? { state.withLock { $0.snapshot } }
    func publish(_ s: Snapshot) { state.withLock { $0.snapshot = s } }
    var calls: [String] { state.withLock { $0.calls } }
    private func record(_ call: String) { state.withLock { $0.calls.append(call) } }

    func togglePause() { record("pause") }
    func adjustRate(by factor: Double) { record("rate \(factor)") }
    func adjustUsers(by delta: Int) { record("users \(delta)") }
    func resetStatistics() { record("reset") }
    func applyPreset(_ preset: KnobPreset) { record("preset \(preset.rawValue)"); knobs?.apply(preset: preset, source: "key") }
    var isFinished: Bool { false }
}
