import Knobs

/// The machinery of the demo backend, built once from the configuration and the opened database, in dependency
/// order: connections → SQL store → cache decorator; the worker pool; the index builder. Knob units steer these
/// parts; the API serves requests through them. This is the backend's wiring diagram: new machinery a knob needs
/// is added here.
struct BackendParts: Sendable {
    let configuration: DemoBackendConfiguration
    let database: DatabaseFile
    let knobs: KnobRegistry
    let metrics: BackendMetrics
    /// Database connections: per request or pooled (the `pool` knobs).
    let provider: ConnectionProvider
    /// Routes → cache decorator (the `cache` knob) → SQL store (the `query` and `counts` knobs) → `provider`.
    let store: CachingConduitStore<SQLiteConduitStore>
    /// The bounded worker pool of the `serving` knob's offloaded model.
    let workers: WorkerPool
    /// Creates and drops the secondary indexes live (the `indexes` knob).
    let indexes: IndexKnobWorker
    /// The flaky "recommendations" dependency, its client and breaker (`dependency*`, `dependency_io`, `breaker`).
    let dependency: DependencyParts
    /// The heavy report and its durable job queue in `jobs.sqlite` (the `jobs` knob).
    let reports: ReportJobs
    /// What the `compression` and `paging` knobs did (counters the API records into).
    let payloadStatistics: PayloadStatistics
    /// The memo of rendered responses (the `memory` knob decides whether anything ever leaves it).
    let memo: RenderedResponseMemo

    init(configuration: DemoBackendConfiguration, database: DatabaseFile, knobs: KnobRegistry) throws {
        self.configuration = configuration
        self.database = database
        self.knobs = knobs
        metrics = BackendMetrics()
        provider = ConnectionProvider(databasePath: database.path, mode: PoolKnob.mode(knobs))
        store = CachingConduitStore(base: SQLiteConduitStore(provider: provider, queryKnob: knobs["query"],
                                                              countsKnob: knobs["counts"]),
                                    knob: knobs["cache"])
        workers = WorkerPool(threads: configuration.workerThreads, capacity: configuration.workerQueueCapacity)
        indexes = IndexKnobWorker(databasePath: database.path, observer: metrics[.background])
        dependency = try DependencyParts(articleCount: Int64(database.counts.articles),
                                         faults: DependencyFaultKnob.faults(knobs))
        var jobs = JobQueue.Configuration()
        jobs.workers = configuration.jobWorkers
        reports = try ReportJobs(jobsPath: configuration.dataDirectory + "/jobs.sqlite", provider: provider,
                                 configuration: jobs, log: configuration.errorSink)
        payloadStatistics = PayloadStatistics()
        memo = MemoryKnob.makeMemo(knobs)
    }
}
