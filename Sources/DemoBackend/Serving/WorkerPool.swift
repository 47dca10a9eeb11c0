import Dispatch
import Foundation
import Synchronization

/// A fixed set of worker threads fed by a bounded FIFO queue: the `serving` knob's "offloaded" model runs handlers
/// here so blocking work (SQLite, password hashing, pool waits) never stalls an HTTP serving thread.
///
/// Bounded on purpose: when the queue is full `submit` refuses at once (the caller answers 503) instead of letting
/// latency grow without limit. Workers wait on a counting semaphore (one signal per queued job); the queue itself is
/// a ring behind a `Mutex`.
final class WorkerPool: Sendable {
    typealias Job = @Sendable () -> Void

    let threadCount: Int
    let capacity: Int

    private struct State {
        var ring: [Job?]
        var head = 0
        var count = 0
        var stopping = false
        var busy = 0
    }
    private let state: Mutex<State>
    private let available = DispatchSemaphore(value: 0)
    private let finished = DispatchGroup()
    private let rejected = Atomic<UInt64>(0)

    /// Starts `threads` workers (≥ 1) with room for `capacity` (≥ 1) queued jobs.
    init(threads: Int, capacity: Int, name: String = "dyno.worker") {
        threadCount = max(1, threads)
        self.capacity = max(1, capacity)
        state = Mutex(State(ring: Array(repeating: nil, count: max(1, capacity))))
        for index in 0..<threadCount {
            finished.enter()
            let thread = Thread { [self] in
                run()
                finished.leave()
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Queues `job`; false (and the job is not run) when the queue is full or the pool is stopping.
    func submit(_ job: @escaping Job) -> Bool {
        let accepted = state.withLock { s -> Bool in
            guard !s.stopping, s.count < capacity else { return false }
            s.ring[(s.head + s.count) % capacity] = job
            s.count += 1
            return true
        }
        if accepted { available.signal() } else { rejected.wrappingAdd(1, ordering: .relaxed) }
        return accepted
    }

    /// Drops the jobs still queued, lets the running ones finish, then ends the workers and waits for them.
    /// Idempotent. Dropping is what a stop needs: the HTTP server stops first, so nobody could receive the
    /// responses of queued jobs (running them would only make the stop outlast its grace period).
    func stop() {
        let wake = state.withLock { s -> Bool in
            if s.stopping { return false }
            s.stopping = true
            for index in 0..<s.count { s.ring[(s.head + index) % capacity] = nil }
            s.count = 0
            return true
        }
        if wake { for _ in 0..<threadCount { available.signal() } }
        finished.wait()
    }

    /// Jobs waiting for a worker.
    var queueLength: Int { state.withLock { $0.count } }
    /// Workers running a job now.
    var busyWorkers: Int { state.withLock { $0.busy } }
    /// Jobs refused because the queue was full.
    var rejectedTotal: UInt64 { rejected.load(ordering: .relaxed) }

    private func run() {
        while true {
            available.wait()
            let job = state.withLock { s -> Job? in
                guard s.count > 0 else { return nil }   // a stop wake-up with nothing left
                let job = s.ring[s.head]
                s.ring[s.head] = nil
                s.head = (s.head + 1) % capacity
                s.count -= 1
                s.busy += 1
                return job
            }
            guard let job else { return }
            job()
            state.withLock { $0.busy -= 1 }
        }
    }
}
