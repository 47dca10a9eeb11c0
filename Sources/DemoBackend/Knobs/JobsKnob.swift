import Knobs
import Metrics

/// `jobs`: where the heavy report of `POST /api/reports` is computed (`ReportJobs`).
/// - inline (naive): on the request, which answers 201 with the finished report after about 0.45 s of CPU (release, 600 articles);
/// - queued (optimized): a durable SQLite job table and worker threads at a lower OS priority; the request answers
///   202 + Location at once and `GET /api/reports/:id` tells queued/running/done/failed/dead.
/// Read per request (one atomic load).
struct JobsKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "jobs", kind: .choice(["inline", "queued"]), defaultValue: "inline",
                       naiveValue: "inline", optimizedValue: "queued", key: "j",
                       summary: "heavy reports: computed on the request (inline) or by low-priority background workers (queued)"),
    ]
    private static let queued = choiceIndex("jobs", "queued")

    let knob: Knob?
    let reports: ReportJobs
    let workers: Int

    init(parts: BackendParts) {
        knob = parts.knobs["jobs"]
        reports = parts.reports
        workers = parts.configuration.jobWorkers
    }

    func probe(into snapshot: inout BackendSnapshot) {
        let s = reports.queue.statistics
        var probe = JobsProbe()
        probe.mode = knob?.rawValue == Self.queued ? .queued : .inline
        probe.queueDepth = s.depth
        probe.running = s.running
        probe.workers = workers
        probe.completed = s.completed
        probe.failed = s.retried + s.dead
        probe.retried = s.retried
        probe.dead = s.dead
        probe.latency = s.latency
        snapshot.jobs = probe
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        let s = reports.queue.statistics
        out.gauge("dyno_jobs_queue_depth", help: "Jobs waiting: queued, or failed and waiting for their retry.", s.depth)
        out.gauge("dyno_jobs_running", help: "Jobs a worker runs now.", s.running)
        out.counter("dyno_jobs_completed_total", help: "Jobs finished.", s.completed)
        out.counter("dyno_jobs_retried_total", help: "Failed attempts scheduled to run again.", s.retried)
        out.counter("dyno_jobs_dead_total", help: "Jobs given up after their last attempt.", s.dead)
        out.summary("dyno_job_latency_seconds", help: "Enqueue to done.", s.latency)
    }

    func stop() { reports.stop() }
}
