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
    /// Background job workers (`jobs=queued`), at a lower OS priority. Default 2: one per core here.
    public var jobWorkers: Int = 2
    /// Knob settings to start with: a preset, then individual values over it (validated before anything is opened).
    public var preset: KnobPreset? = nil
    public var knobs: [String: String] = [:]
    /// Who asked for those settings, for the timeline ("cli", "test", ...).
    public var knobSource = "cli"
    /// Where internal errors are logged, one rate-limited line each (see `InternalErrorLog`). Default stderr;
    /// embedded runs discard them here and read them from the probe.
    public var errorSink: InternalErrorLog.Sink = InternalErrorLog.standardError
    public init() {}
}

/// The demo Conduit backend: SQLite storage + the RealWorld API + `/metrics` + `/debug/knobs` on the HTTP server.
///
/// Put together from `BackendParts` (the machinery) and the knob units of `KnobUnits.all` (how each knob steers
/// it). Build one with `DemoBackend.assemble(_:progress:)`, which also makes the knob registry.
public final class DemoBackend: Sendable {
    /// Every knob of the backend, from the one list `KnobUnits.all`. Keys avoid the console's own keys and their
    /// upper case (which steps a knob back); a test checks that.
    public static var knobDefinitions: [KnobDefinition] { KnobUnits.definitions }

    /// A registry of every knob at its default value.
    /// - Parameter clock: monotonic nanoseconds that timestamp changes (tests inject one).
    public static func makeKnobRegistry(clock: @escaping @Sendable () -> UInt64 = MonotonicClock.nanoseconds) -> KnobRegistry {
        KnobRegistry(knobDefinitions, clock: clock)
    }

    /// The one assembly path (`dyno serve`, embedded runs, the console, the tests): a configuration value in, the
    /// knob registry (with the configuration's preset and knobs applied) and a backend ready to `start()` out.
    /// Bad knob settings throw `KnobError` before the database is opened or seeded.
    /// - Parameter knobs: a registry to reuse (a restarted backend keeps its knobs); default a new one.
    public static func assemble(_ configuration: DemoBackendConfiguration, knobs existing: KnobRegistry? = nil,
                                progress: @escaping @Sendable (String) -> Void) throws -> (knobs: KnobRegistry, backend: DemoBackend) {
        ProcessMemory.tuneAllocator()   // before any serving thread allocates: see the README's memory budget
        let knobs = existing ?? makeKnobRegistry()
        if let preset = configuration.preset { knobs.apply(preset: preset, source: configuration.knobSource) }
        try knobs.set(configuration.knobs, source: configuration.knobSource)
        return (knobs, try DemoBackend(configuration: configuration, knobs: knobs, progress: progress))
    }

    public let configuration: DemoBackendConfiguration
    /// The database file in use (path, counts, whether it was seeded now).
    public let database: DatabaseFile
    let knobs: KnobRegistry
    let parts: BackendParts
    let units: [any KnobUnit]
    let api: ConduitAPI
    let errorLog: InternalErrorLog
    private let server: HTTPServer
    /// Set by `stop()`: the knob observer (registered on a registry that outlives this backend) then does nothing.
    private let stopped = StopFlag()

    // Shorthands for the tests.
    var provider: ConnectionProvider { parts.provider }
    var metrics: BackendMetrics { parts.metrics }
    var store: CachingConduitStore<SQLiteConduitStore> { parts.store }

    /// Opens or seeds the database (progress lines like "seeding articles 40000/100000"), reads or creates the token
    /// secret, and builds the parts, the knob units and the routes. It binds `host:port` before anything else, so a bad host or
    /// a busy port fails in milliseconds, before any seeding; connections wait in the listen backlog until `start()`.
    /// Use `assemble(_:knobs:progress:)`.
    private init(configuration: DemoBackendConfiguration, knobs: KnobRegistry,
         progress: @escaping @Sendable (String) -> Void) throws {
        self.configuration = configuration
        self.knobs = knobs
        // Claim the address first: a bad host or a busy port fails at once, not after seconds of seeding.
        let listener = try HTTPListener(host: configuration.host, port: configuration.port)
        let directory = DataDirectory(path: configuration.dataDirectory)
        database = try directory.openOrSeed(seed: configuration.seed, scale: configuration.scale,
                                            hashPassword: PasswordHasher.hash,
                                            progress: { p in
                                                progress(p.phase == "migrate"
                                                    ? (p.done == 0 ? "migrating \(directory.databasePath) to schema \(Schema.version) (maintained counts)" : "migrated")
                                                    : "seeding \(p.phase) \(p.done)/\(p.total)")
                                            })
        if database.seededNow, let duration = database.seedingDuration {
            progress("seeded \(database.counts) in \(duration)")
        }
        let secret = try Self.tokenSecret(databasePath: database.path)
        let parts = try BackendParts(configuration: configuration, database: database, knobs: knobs)
        self.parts = parts
        let units: [any KnobUnit] = KnobUnits.all.map { $0.init(parts: parts) }
        self.units = units
        let errorLog = InternalErrorLog(sink: configuration.errorSink)
        self.errorLog = errorLog
        let workers = parts.workers
        let api = ConduitAPI(store: parts.store, tokens: TokenSigner(secret: secret), metrics: parts.metrics, knobs: knobs,
                             errorLog: errorLog,
                             payloadStatistics: parts.payloadStatistics, memo: parts.memo,
                             offload: { work in workers.submit(work) },
                             extraMetrics: { out in
                                 for unit in units { unit.writeMetrics(to: &out) }
                                 Self.writeProcessMetrics(to: &out, knobs: knobs)
                             }, extraRoutes: ExtraRoutes(parts: parts))
        self.api = api
        let serving = units.lazy.compactMap { $0 as? ServingKnob }.first!
        var serverConfiguration = HTTPServerConfiguration(host: configuration.host, port: configuration.port,
                                                          threads: configuration.serverThreads)
        // Conduit bodies are small; 1 MiB (the default) is plenty for an article.
        serverConfiguration.maxBodyBytes = 1 << 20
        serverConfiguration.errorSink = { errorLog.report($0) }
        server = HTTPServer(configuration: serverConfiguration, listener: listener) { request, responder in
            serving.dispatch(request, responder, api: api)
        }
        serving.attach(server)
        // Knob changes from anywhere (console, profile, PUT /debug/knobs) reach the units here.
        let stopped = self.stopped
        knobs.observe { changes in
            guard !stopped.isSet else { return }
            for unit in units { unit.apply(changes) }
        }
    }

    /// Starts serving on the address bound by `init`; returns the bound port.
    public func start() throws -> Int {
        try server.start()
    }

    /// Graceful stop: stops accepting, lets in-flight requests finish, then stops each unit's background work
    /// (workers, a running index build) and closes the database connections.
    public func stop() {
        stopped.set()
        server.stop()
        // Reverse list order: serving (workers) stops before the pool closes its connections.
        for unit in units.reversed() { unit.stop() }
        errorLog.flush()
    }

    deinit {
        // Worker threads would otherwise outlive a backend that was never stopped.
        stop()
    }

    /// The bound port (0 before `start()`).
    public var port: Int { server.port }

    /// The backend's own view for the aggregator (every 100 ms): atomics and a few small locks, no database access.
    /// Call it from one place (the aggregator): rates such as the serving threads' busy ratio cover the time since
    /// the previous call. `routes` lists routes that served at least one request (plus "background" once it ran SQL).
    public func probe() -> BackendSnapshot {
        var snapshot = BackendSnapshot()
        snapshot.rssBytes = Self.residentSetBytes()
        for unit in units { unit.probe(into: &snapshot) }
        snapshot.routes = parts.metrics.routes.filter { $0.requests > 0 || $0.dbQueries.value > 0 }.map { $0.probe() }
        snapshot.internalErrors = errorLog.probe
        return snapshot
    }

    // MARK: Helpers

    /// A one-way flag shared with the knob observer.
    final class StopFlag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
        func set() { value.store(true, ordering: .releasing) }
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

    /// The lines that belong to no knob: every knob's current value and the process's resident set size.
    static func writeProcessMetrics(to out: inout PrometheusWriter, knobs: KnobRegistry) {
        out.declare("dyno_knob", .gauge, help: "Current knob values (1 for the current value).")
        for knob in knobs.knobs { out.sample("dyno_knob", ["knob": knob.id, "value": knob.value], 1) }
        if let rss = residentSetBytes() {
            out.gauge("dyno_process_resident_memory_bytes", help: "Resident set size.", Double(rss))
        }
    }
}
