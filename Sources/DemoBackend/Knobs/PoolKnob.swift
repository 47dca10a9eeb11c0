import Knobs
import Metrics

/// `pool` and `pool_size`: database connections opened per request (naive) or handed out by a bounded pool with a
/// FIFO wait queue and an acquire timeout answered 503 + Retry-After (`ConnectionProvider`). Switched live.
struct PoolKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "pool", kind: .choice(["per-request", "pool"]), defaultValue: "pool",
                       naiveValue: "per-request", optimizedValue: "pool", key: "p",
                       summary: "database connections: opened per request, or a bounded pool"),
        KnobDefinition(id: "pool_size", kind: .integer(ConnectionProvider.PoolMode.sizeRange), defaultValue: "8",
                       naiveValue: "1", optimizedValue: "8", key: "k",
                       summary: "connections in the pool (pool mode)"),
    ]

    let provider: ConnectionProvider
    let knobs: KnobRegistry

    init(parts: BackendParts) {
        provider = parts.provider
        knobs = parts.knobs
    }

    /// The provider mode the registry asks for now.
    static func mode(_ knobs: KnobRegistry) -> ConnectionProvider.PoolMode {
        if knobs["pool"]?.value == "per-request" { return .perRequest }
        return .pool(size: knobs["pool_size"]?.rawValue ?? 8)
    }

    func apply(_ changes: [KnobChange]) {
        if changes.contains(where: { $0.id == "pool" || $0.id == "pool_size" }) { provider.setMode(Self.mode(knobs)) }
    }

    func probe(into snapshot: inout BackendSnapshot) {
        let p = provider.probe
        var pool = PoolProbe()
        switch p.mode {
        case .perRequest: pool.mode = .perRequest; pool.size = 0
        case .pool(let size): pool.mode = .pool; pool.size = size
        }
        pool.inUse = p.inUse
        pool.idle = p.idle
        pool.waiters = p.waiters
        pool.acquires = p.acquiresTotal
        pool.timeouts = p.timeoutsTotal + p.rejectedTotal
        pool.acquireTime = p.acquireTime
        snapshot.pool = pool
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        let p = provider.probe
        out.gauge("dyno_pool_in_use", help: "Database connections handed out now.", p.inUse)
        out.gauge("dyno_pool_idle", help: "Open database connections waiting in the pool.", p.idle)
        out.gauge("dyno_pool_waiters", help: "Requests waiting for a database connection.", p.waiters)
        out.counter("dyno_pool_acquires_total", help: "Connections handed out.", p.acquiresTotal)
        out.counter("dyno_pool_timeouts_total",
                    help: "Acquisitions that timed out or were refused (answered 503 + Retry-After).", p.timeoutsTotal + p.rejectedTotal)
        out.summary("dyno_pool_acquire_seconds",
                    help: "Time to get a database connection (per-request mode: to open one).", p.acquireTime)
        let wal = provider.checkpointer
        out.gauge("dyno_db_wal_frames", help: "Frames (pages) in the database's WAL after the latest pooled commit; falls back when the WAL starts over.",
                  Int(wal.walFrames))
        let checkpoints = wal.checkpoints
        out.counter("dyno_db_wal_checkpoints_total", help: "Background WAL checkpoints run.", checkpoints.completed)
        out.counter("dyno_db_wal_checkpoints_in_commit_total",
                    help: "WAL checkpoints a commit ran itself (the WAL past its bound).", checkpoints.inCommit)
    }

    func stop() { provider.closeIdleConnections() }
}
