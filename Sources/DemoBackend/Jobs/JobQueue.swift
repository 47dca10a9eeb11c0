import CLinuxShim
import Dispatch
import Foundation
import Metrics
import Synchronization

/// Background jobs (the `jobs` knob's "queued" mode): a durable `JobStore`, a fixed set of worker threads at a lower
/// OS priority than the serving threads, and retries with exponential backoff and jitter until a job is dead.
///
/// At-least-once: a job interrupted by a crash runs again after the restart, so handlers must be idempotent (the same
/// payload gives the same result, and storing it twice is harmless).
final class JobQueue: Sendable {
    /// Runs one job and returns its result (stored as text); a thrown error fails the attempt.
    typealias Handler = @Sendable (JobRecord) throws -> String

    struct Configuration: Sendable {
        /// Worker threads. Default 2: one per core here; more would only queue on the CPU.
        var workers = 2
        /// Workers run under SCHED_IDLE: only on CPU the serving threads leave, and a waking serving thread takes
        /// the core from them at once. Measured with `dyno verify --check non-blocking` (scale 0.2, 2 reports/s, quiet
        /// machine): under nice 10 the light routes' p99 was 1.97× their p99 without reports (a nice-10 thread still
        /// keeps the core for a scheduler slice when a request wakes); see the README's verify section for SCHED_IDLE's.
        /// The price: on a core kept busy by requests the queue waits (its depth is on the Jobs panel).
        var idleScheduling = true
        /// Nice value of the worker threads when `idleScheduling` is off or refused (0 normal, 19 lowest).
        var niceness: Int32 = 10
        var retry = JobRetryPolicy()
        init() {}
    }

    /// Counters for the probe and `/metrics` (atomics: read every tick without touching the database).
    struct Statistics: Sendable {
        var depth: Int
        var running: Int
        var completed: UInt64
        var retried: UInt64
        var dead: UInt64
        var latency: LatencySummary
    }

    private let path: String
    private let configuration: Configuration
    private let handler: Handler
    private let log: @Sendable (String) -> Void
    /// Enqueue and status reads from request threads share one connection.
    private let front: Mutex<JobStore>
    private let wakeups = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchGroup()
    private let started = Atomic<Bool>(false)

    private let depth = Atomic<Int>(0)
    private let running = Atomic<Int>(0)
    private let completed = Atomic<UInt64>(0)
    private let retried = Atomic<UInt64>(0)
    private let dead = Atomic<UInt64>(0)
    private let latency = AtomicLatencyHistogram()

    /// Opens (or creates) the job table at `path`. Workers start with `start()`.
    /// - Parameter log: where the queue's own failures go (a lost outcome, an unreadable table); default stderr.
    init(path: String, configuration: Configuration = .init(),
         log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
         handler: @escaping Handler) throws {
        self.path = path
        self.log = log
        self.configuration = configuration
        self.handler = handler
        front = Mutex(try JobStore(path: path))
    }

    deinit { stop() }

    /// Re-queues jobs a previous process left running, then starts the workers. Once.
    func start() throws {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let waiting = try front.withLock { store -> Int in
            try store.requeueAbandoned()
            let counts = try store.counts()
            return (counts[.queued] ?? 0) + (counts[.failed] ?? 0)
        }
        depth.store(waiting, ordering: .relaxed)
        for index in 0..<max(1, configuration.workers) {
            let store = try JobStore(path: path)
            let worker = UncheckedStore(store)
            finished.enter()
            let thread = Thread { [self] in
                // Linux nice values and scheduling policies are per thread: `who` 0 is the calling thread.
                setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, configuration.niceness)
                if configuration.idleScheduling { _ = dyno_thread_sched_idle() }
                work(worker.store)
                worker.store.close()
                finished.leave()
            }
            thread.name = "dyno.job-\(index)"
            thread.start()
        }
    }

    /// Lets running jobs finish, then ends the workers (queued jobs stay in the table for the next start). Idempotent.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if started.load(ordering: .acquiring) {
            for _ in 0..<max(1, configuration.workers) { wakeups.signal() }
            finished.wait()
        }
    }

    /// Stores a new job and wakes a worker; returns the job id.
    func enqueue(kind: String, payload: String) throws -> Int64 {
        let id = try front.withLock { try $0.enqueue(kind: kind, payload: payload, nowMilliseconds: JobStore.nowMilliseconds()) }
        depth.wrappingAdd(1, ordering: .relaxed)
        wakeups.signal()
        return id
    }

    /// Stores the outcome of work done outside the queue (the `jobs=inline` report), so it reads back like a job.
    func recordFinished(kind: String, payload: String, result: String) throws -> Int64 {
        try front.withLock {
            try $0.insertFinished(kind: kind, payload: payload, result: result, nowMilliseconds: JobStore.nowMilliseconds())
        }
    }

    func job(id: Int64) throws -> JobRecord? {
        try front.withLock { try $0.job(id: id) }
    }

    var statistics: Statistics {
        Statistics(depth: max(0, depth.load(ordering: .relaxed)), running: running.load(ordering: .relaxed),
                   completed: completed.load(ordering: .relaxed), retried: retried.load(ordering: .relaxed),
                   dead: dead.load(ordering: .relaxed), latency: latency.summary)
    }

    // MARK: Workers

    private func work(_ store: JobStore) {
        while !stopping.load(ordering: .acquiring) {
            let job: JobRecord?
            do {
                job = try store.claimNext(nowMilliseconds: JobStore.nowMilliseconds())
            } catch {
                log("dyno jobs: claiming a job failed: \(error)")
                job = nil
            }
            if let job {
                depth.wrappingSubtract(1, ordering: .relaxed)
                running.wrappingAdd(1, ordering: .relaxed)
                run(job, store)
                running.wrappingSubtract(1, ordering: .relaxed)
                continue
            }
            // Nothing due: wait for an enqueue, or until the earliest retry is due (at most a second, so a job
            // enqueued by another process is picked up too).
            let now = JobStore.nowMilliseconds()
            let next = (try? store.nextRunAt()) ?? nil
            let waitMilliseconds = next.map { min(max($0 - now, 1), 1000) } ?? 1000
            _ = wakeups.wait(timeout: .now() + .milliseconds(Int(waitMilliseconds)))
        }
    }

    private func run(_ job: JobRecord, _ store: JobStore) {
        let outcome: Result<String, any Error>
        do {
            outcome = .success(try handler(job))
        } catch {
            outcome = .failure(error)
        }
        let now = JobStore.nowMilliseconds()
        do {
            switch outcome {
            case .success(let result):
                try store.complete(id: job.id, result: result, nowMilliseconds: now)
                completed.wrappingAdd(1, ordering: .relaxed)
                latency.record(nanoseconds: UInt64(max(0, now - job.enqueuedAtMilliseconds)) * 1_000_000)
            case .failure(let error):
                let delay = configuration.retry.nextDelay(afterAttempt: job.attempts, random: Double.random(in: 0..<1))
                let retryAt = delay.map { now + Int64($0 / 1_000_000) }
                try store.fail(id: job.id, error: String(describing: error), retryAtMilliseconds: retryAt,
                               nowMilliseconds: now)
                if retryAt == nil {
                    dead.wrappingAdd(1, ordering: .relaxed)
                } else {
                    retried.wrappingAdd(1, ordering: .relaxed)
                    depth.wrappingAdd(1, ordering: .relaxed)
                }
            }
        } catch {
            // The outcome is lost; the job stays `running` until the next start re-queues it (at-least-once).
            log("dyno jobs: recording job \(job.id) failed: \(error)")
        }
    }

}

/// Moves a worker's own store onto its thread (or a benchmark's store into its loop). `@unchecked Sendable` is safe:
/// the store is created for that one worker (or benchmark) and used only by one thread at a time afterwards.
struct UncheckedStore: @unchecked Sendable {
    let store: JobStore
    init(_ store: JobStore) { self.store = store }
}
