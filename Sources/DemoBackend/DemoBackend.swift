import Dispatch
import Glibc
import HTTP
import Knobs
import Metrics
import Synchronization

/// How to run the demo backend (`dyno serve`, and the embedded target of `dyno run` and the console).
public struct DemoBackendConfiguration: Sendable {
    /// Address to bind. Default loopback only.
    public var host = "127.0.0.1"
    /// Port to bind; 0 (default) picks a free one (returned by `start()`).
    public var port = 0
    /// Data directory holding `demo.sqlite` (created and seeded on first start). Default `.dyno`.
    public var dataDirectory = ".dyno"
    /// Seed of the deterministic data generator. Default 42.
    public var seed: UInt64 = 42
    /// Data size: 1.0 = 2,000 users, 100,000 articles, ...; tests use ~0.01.
    public var scale: Double = 1.0
    /// HTTP serving threads. Default: the number of online cores.
    public var serverThreads: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// Worker threads for the `serving` knob's "offloaded" model. Default: 4 per core (at least 4), so workers
    /// blocked on SQLite or a pool wait still leave runnable ones; CPU-bound work is capped by the cores anyway.
    public var workerThreads: Int = max(4, 4 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// Jobs that may wait for a worker; beyond that requests get 503 at once. Default 1024.
    public var workerQueueCapacity: Int = 1024
    public init() {}
}

/// The demo Conduit backend: SQLite storage + the RealWorld API + `/metrics` + `/debug/knobs` on the HTTP server.
///
/// Every knob is wired: `query` (batched or n+1 list reads, per request), `cache` (the `CachingConduitStore`
/// decorator), `pool` and `pool_size` (the connection provider switches live), `indexes` (secondary indexes
/// dropped/created live in the background), `serving` (handlers inline on the serving threads, or on a bounded
/// worker pool).
public final class DemoBackend: Sendable {
    /// The knob definitions of the backend (issue "Knobs part 1"). Defaults describe what a fresh backend does:
    /// batched queries, indexes present (the seed creates them), no cache, a pool of 8, handlers on the serving threads.
    /// Keys avoid the console's own keys (`ConsoleKeys.reserved`) and their upper case (which steps a knob back):
    /// b query, x indexes, c cache, p pool, k pool size, s serving.
    public static var knobDefinitions: [KnobDefinition] {
        [
            KnobDefinition(id: "query", kind: .choice(["n+1", "batched"]), defaultValue: "batched",
                           naiveValue: "n+1", optimizedValue: "batched", key: "b",
                           summary: "list queries: one query per article (n+1) or a fixed few per page (batched)"),
            KnobDefinition(id: "indexes", kind: .choice(["off", "on"]), defaultValue: "on",
                           naiveValue: "off", optimizedValue: "on", key: "x",
                           summary: "secondary indexes (tags, authors, dates, favorites, follows, comments), built/dropped live"),
            KnobDefinition(id: "cache", kind: .choice(["off", "on"]), defaultValue: "off",
                           naiveValue: "off", optimizedValue: "on", key: "c",
                           summary: "bounded read cache with TTL, single-flight and invalidation on write"),
            KnobDefinition(id: "pool", kind: .choice(["per-request", "pool"]), defaultValue: "pool",
                           naiveValue: "per-request", optimizedValue: "pool", key: "p",
                           summary: "database connections: opened per request, or a bounded pool"),
            KnobDefinition(id: "pool_size", kind: .integer(1...64), defaultValue: "8",
                           naiveValue: "1", optimizedValue: "8", key: "k",
                           summary: "connections in the pool (pool mode)"),
            KnobDefinition(id: "serving", kind: .choice(["blocking", "offloaded"]), defaultValue: "blocking",
                           naiveValue: "blocking", optimizedValue: "offloaded", key: "s",
                           summary: "handler work on the serving threads (blocking) or a bounded worker pool (offloaded)"),
        ]
    }

    public let configuration: DemoBackendConfiguration
    /// The database file in use (path, counts, whether it was seeded now).
    public let database: DatabaseFile
    let knobs: KnobRegistry
    let provider: ConnectionProvider
    let metrics: BackendMetrics
    let api: ConduitAPI
    let store: CachingConduitStore<SQLiteConduitStore>
    private let server: HTTPServer
    private let workers: WorkerPool
    private let indexes: IndexKnobWorker
    private let busySample = Mutex<(atNanoseconds: UInt64, busyNanoseconds: UInt64)>((0, 0))
    /// Set by `stop()`: the knob observer (registered on a registry that outlives this backend) then does nothing.
    private let stopped: StopFlag

    /// Opens or seeds the database (progress lines like "seeding articles 40000/100000"), reads or creates the token
    /// secret, and builds the routes. Nothing listens until `start()`.
    public init(configuration: DemoBackendConfiguration, knobs: KnobRegistry,
                progress: @escaping @Sendable (String) -> Void) throws {
        self.configuration = configuration
        self.knobs = knobs
        let directory = DataDirectory(path: configuration.dataDirectory)
        database = try directory.openOrSeed(seed: configuration.seed, scale: configuration.scale,
                                            hashPassword: PasswordHasher.hash,
                                            progress: { p in progress("seeding \(p.phase) \(p.done)/\(p.total)") })
        if database.seededNow, let duration = database.seedingDuration {
            progress("seeded \(database.counts) in \(duration)")
        }
        let secret = try Self.tokenSecret(databasePath: database.path)
        provider = ConnectionProvider(databasePath: database.path, mode: Self.poolMode(knobs))
        metrics = BackendMetrics()
        let indexWorker = IndexKnobWorker(databasePath: database.path, observer: metrics[.background])
        indexes = indexWorker
        let provider = self.provider
        let knobRegistry = knobs
        let workers = WorkerPool(threads: configuration.workerThreads, capacity: configuration.workerQueueCapacity)
        self.workers = workers
        // Routes → cache decorator (the `cache` knob) → SQL store (the `query` knob) → connection provider.
        let store = CachingConduitStore(base: SQLiteConduitStore(provider: provider, queryKnob: knobs["query"]),
                                        knob: knobs["cache"])
        self.store = store
        api = ConduitAPI(store: store, tokens: TokenSigner(secret: secret), metrics: metrics, knobs: knobs,
                         extraMetrics: { out in
                            Self.renderGauges(&out, provider: provider, workers: workers, indexes: indexWorker, knobs: knobRegistry)
                            store.renderMetrics(&out)
                         })
        let api = self.api
        let servingKnob = knobs["serving"]
        let offloadedRawValue: Int
        if case .choice(let values)? = servingKnob?.definition.kind, let index = values.firstIndex(of: "offloaded") {
            offloadedRawValue = index
        } else {
            offloadedRawValue = -1
        }
        var serverConfiguration = HTTPServerConfiguration(host: configuration.host, port: configuration.port,
                                                          threads: configuration.serverThreads)
        // Conduit bodies are small; 1 MiB (the default) is plenty for an article.
        serverConfiguration.maxBodyBytes = 1 << 20
        server = HTTPServer(configuration: serverConfiguration) { request, responder in
            let received = MonotonicClock.nanoseconds()
            // One relaxed atomic load per request decides the serving model.
            guard servingKnob?.rawValue == offloadedRawValue else {
                // "blocking": the work runs right here, on the serving thread.
                responder.respond(api.handle(request, receivedAt: received))
                return
            }
            // "offloaded": a worker does it and responds from its own thread (the server wakes the owning loop).
            let queued = workers.submit {
                let started = MonotonicClock.nanoseconds()
                responder.respond(api.handle(request, receivedAt: received, queueNanoseconds: started &- received))
            }
            if !queued {
                responder.respond(api.reject(request, receivedAt: received, reason: "server busy: worker queue full"))
            }
        }
        // Knob changes from anywhere (console, profile, PUT /debug/knobs) reach the backend here.
        let indexes = self.indexes
        let stopped = StopFlag()
        self.stopped = stopped
        knobs.observe { changes in
            guard !stopped.isSet else { return }
            if changes.contains(where: { $0.id == "pool" || $0.id == "pool_size" }) {
                provider.setMode(Self.poolMode(knobRegistry))
            }
            if let change = changes.last(where: { $0.id == "indexes" }) {
                indexes.request(present: change.newValue == "on")
            }
        }
        if let knob = knobs["indexes"] { indexes.request(present: knob.value == "on") }
    }

    /// Binds and starts serving; returns the bound port.
    public func start() throws -> Int {
        try server.start()
    }

    /// Graceful stop: stops accepting, lets in-flight requests finish, waits for a running index build, closes
    /// the database connections.
    public func stop() {
        stopped.set()
        server.stop()
        workers.stop()
        indexes.waitUntilIdle()
        provider.closeIdleConnections()
    }

    deinit {
        // Worker threads would otherwise outlive a backend that was never stopped.
        stop()
    }

    /// The bound port (0 before `start()`).
    public var port: Int { server.port }

    /// The backend's own view for the aggregator (every 100 ms): atomics and a few small locks, no database access.
    /// `serving.busyRatio` covers the time since the previous `probe()` call, so call it from one place (the
    /// aggregator); `routes` lists routes that served at least one request (plus "background" once it ran SQL).
    public func probe() -> BackendSnapshot {
        var snapshot = BackendSnapshot()
        snapshot.rssBytes = Self.residentSetBytes()
        snapshot.cache = store.probe()
        let p = provider.probe
        var pool = PoolProbe()
        switch p.mode {
        case .perRequest: pool.mode = "per-request"; pool.size = 0
        case .pool(let size): pool.mode = "pool"; pool.size = size
        }
        pool.inUse = p.inUse
        pool.idle = p.idle
        pool.waiters = p.waiters
        pool.acquires = p.acquiresTotal
        pool.timeouts = p.timeoutsTotal + p.rejectedTotal
        pool.acquireTime = p.acquireTime.summary
        snapshot.pool = pool
        var serving = ServingProbe()
        serving.model = knobs["serving"]?.value ?? "blocking"
        serving.busyRatio = busyRatio()
        serving.workerQueueLength = workers.queueLength
        serving.workerBusy = workers.busyWorkers
        serving.workerThreads = workers.threadCount
        snapshot.serving = serving
        snapshot.routes = metrics.routes.filter { $0.requests > 0 || $0.dbQueries.value > 0 }.map { $0.probe() }
        snapshot.indexBuildProgress = indexes.progress
        return snapshot
    }

    /// Serving-thread busy fraction since the previous call (0...1), from the server's per-thread busy counters.
    private func busyRatio() -> Double {
        let stats = server.stats
        let busy = stats.busyNanoseconds.reduce(0, &+)
        let now = MonotonicClock.nanoseconds()
        let threads = max(1, stats.busyNanoseconds.count)
        return busySample.withLock { last in
            defer { last = (now, busy) }
            guard last.atNanoseconds != 0, now > last.atNanoseconds else { return 0 }
            let ratio = Double(busy &- last.busyNanoseconds) / Double(now - last.atNanoseconds) / Double(threads)
            return min(max(ratio, 0), 1)
        }
    }

    // MARK: Helpers

    /// A one-way flag shared with the knob observer.
    final class StopFlag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
        func set() { value.store(true, ordering: .releasing) }
    }

    static func poolMode(_ knobs: KnobRegistry) -> ConnectionProvider.PoolMode {
        if knobs["pool"]?.value == "per-request" { return .perRequest }
        return .pool(size: knobs["pool_size"]?.rawValue ?? 8)
    }

    /// The HS256 secret of this data directory: read from `meta.jwt_secret`, created on first use.
    /// `INSERT OR IGNORE` then read back, so two processes starting at once agree on one secret.
    static func tokenSecret(databasePath: String) throws -> [UInt8] {
        let db = try SQLiteConnection(path: databasePath)
        defer { db.close() }
        let read = try db.prepare("SELECT value FROM meta WHERE key = 'jwt_secret'")
        if let stored = try read.firstRow({ $0.text(0) }), let bytes = Base64.decode(stored.utf8), !bytes.isEmpty {
            return bytes
        }
        try db.transaction {
            let insert = try db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('jwt_secret', ?1)")
            try insert.bind(.text(Base64.encode(TokenSigner.makeSecret())), at: 1)
            try insert.run()
        }
        guard let stored = try read.firstRow({ $0.text(0) }), let bytes = Base64.decode(stored.utf8), !bytes.isEmpty else {
            throw SQLiteError(code: 1, message: "meta.jwt_secret is unreadable in \(databasePath)", sql: nil)
        }
        return bytes
    }

    /// Resident set size from /proc/self/statm (Linux), nil elsewhere.
    static func residentSetBytes() -> UInt64? {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        let fields = buffer[..<n].split(separator: UInt8(ascii: " "))
        guard fields.count >= 2, let pages = UInt64(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Pool gauges and knob values for `/metrics`.
    static func renderGauges(_ out: inout String, provider: ConnectionProvider, workers: WorkerPool, indexes: IndexKnobWorker,
                             knobs: KnobRegistry) {
        let p = provider.probe
        out += "# HELP dyno_pool_in_use Database connections handed out now.\n"
        out += "# TYPE dyno_pool_in_use gauge\n"
        out += "dyno_pool_in_use \(p.inUse)\n"
        out += "# HELP dyno_pool_idle Open database connections waiting in the pool.\n"
        out += "# TYPE dyno_pool_idle gauge\n"
        out += "dyno_pool_idle \(p.idle)\n"
        out += "# HELP dyno_pool_waiters Requests waiting for a database connection.\n"
        out += "# TYPE dyno_pool_waiters gauge\n"
        out += "dyno_pool_waiters \(p.waiters)\n"
        out += "# HELP dyno_pool_acquires_total Connections handed out.\n"
        out += "# TYPE dyno_pool_acquires_total counter\n"
        out += "dyno_pool_acquires_total \(p.acquiresTotal)\n"
        out += "# HELP dyno_pool_timeouts_total Acquisitions that timed out or were refused (answered 503 + Retry-After).\n"
        out += "# TYPE dyno_pool_timeouts_total counter\n"
        out += "dyno_pool_timeouts_total \(p.timeoutsTotal + p.rejectedTotal)\n"
        let acquire = p.acquireTime
        out += "# HELP dyno_pool_acquire_seconds Time to get a database connection (per-request mode: to open one).\n"
        out += "# TYPE dyno_pool_acquire_seconds summary\n"
        for (q, v) in [("0.5", acquire.percentile(50)), ("0.9", acquire.percentile(90)), ("0.99", acquire.percentile(99))] {
            out += "dyno_pool_acquire_seconds{quantile=\"\(q)\"} \(Double(v) / 1e9)\n"
        }
        out += "dyno_pool_acquire_seconds_sum \(acquire.meanNanoseconds * Double(acquire.count) / 1e9)\n"
        out += "dyno_pool_acquire_seconds_count \(acquire.count)\n"
        out += "# HELP dyno_index_build_progress Live index create/drop (the indexes knob): 0..1 while running, absent when idle.\n"
        out += "# TYPE dyno_index_build_progress gauge\n"
        if let progress = indexes.progress { out += "dyno_index_build_progress \(progress)\n" }
        out += "# HELP dyno_worker_queue_length Requests waiting for a worker (serving=offloaded).\n"
        out += "# TYPE dyno_worker_queue_length gauge\n"
        out += "dyno_worker_queue_length \(workers.queueLength)\n"
        out += "# HELP dyno_worker_busy Workers running a request now.\n"
        out += "# TYPE dyno_worker_busy gauge\n"
        out += "dyno_worker_busy \(workers.busyWorkers)\n"
        out += "# HELP dyno_worker_rejected_total Requests refused with 503 because the worker queue was full.\n"
        out += "# TYPE dyno_worker_rejected_total counter\n"
        out += "dyno_worker_rejected_total \(workers.rejectedTotal)\n"
        out += "# HELP dyno_knob Current knob values (1 for the current value).\n"
        out += "# TYPE dyno_knob gauge\n"
        for knob in knobs.knobs {
            out += "dyno_knob{knob=\"\(PrometheusExposition.escape(knob.id))\",value=\"\(PrometheusExposition.escape(knob.value))\"} 1\n"
        }
        if let rss = residentSetBytes() {
            out += "# HELP dyno_process_resident_memory_bytes Resident set size.\n"
            out += "# TYPE dyno_process_resident_memory_bytes gauge\n"
            out += "dyno_process_resident_memory_bytes \(rss)\n"
        }
    }
}
