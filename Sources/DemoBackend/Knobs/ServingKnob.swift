import HTTP
import Knobs
import Metrics
import Synchronization

/// `serving`: where a request's handler work (SQL, password hashing, encoding) runs.
/// - blocking (naive): right on the HTTP serving thread that read the request. While it works, every other
///   connection of that thread waits, and nothing bounds the queue of waiting requests: they pile up unread in
///   the kernel (socket buffers, listen backlog), never shed with a 503, and are answered long after clients
///   gave up. The probe shows that queue (`connectionsWaiting`, `acceptQueue`, from the kernel);
/// - offloaded (optimized): on the bounded `WorkerPool`; the response completes asynchronously, and a full worker
///   queue is answered 503 at once instead of letting latency grow without limit.
/// Read per request (one atomic load) by `dispatch`.
final class ServingKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "serving", kind: .choice(["blocking", "offloaded"]), defaultValue: "blocking",
                       naiveValue: "blocking", optimizedValue: "offloaded", key: "s",
                       summary: "handler work on the serving threads (blocking: requests queue without bound, never shed) or a bounded worker pool (offloaded: full queue → 503)"),
    ]
    private static let offloaded = choiceIndex("serving", "offloaded")

    let knob: Knob?
    let workers: WorkerPool
    /// The server whose threads' busy time the probe reports; set once it exists (it needs `dispatch` first).
    private let server = Mutex<HTTPServer?>(nil)
    private let busySample = Mutex<(atNanoseconds: UInt64, busyNanoseconds: UInt64)>((0, 0))

    init(parts: BackendParts) {
        knob = parts.knobs["serving"]
        workers = parts.workers
    }

    func attach(_ server: HTTPServer) { self.server.withLock { $0 = server } }

    /// Runs `api.handle` for `request` where the knob says, and responds.
    func dispatch(_ request: HTTPRequest, _ responder: HTTPResponder, api: ConduitAPI) {
        let received = MonotonicClock.nanoseconds()
        // A cache hit (or a ping) is answered right here on the event loop whatever the model: stored bytes, no
        // database, no encoding, so handing it to a worker and back would only add two thread hand-offs.
        if let hit = api.immediateResponse(request, receivedAt: received) {
            responder.respond(hit)
            return
        }
        guard knob?.rawValue == Self.offloaded else {
            // "blocking": the work runs right here, on the serving thread.
            api.handle(request, receivedAt: received, responder: responder)
            return
        }
        // "offloaded": a worker does it and responds from its own thread (the server wakes the owning loop).
        let queued = workers.submit {
            let started = MonotonicClock.nanoseconds()
            api.handle(request, receivedAt: received, queueNanoseconds: started &- received, responder: responder)
        }
        if !queued {
            responder.respond(api.reject(request, receivedAt: received, reason: "server busy: worker queue full"))
        }
    }

    func probe(into snapshot: inout BackendSnapshot) {
        var serving = ServingProbe()
        serving.model = knob?.rawValue == Self.offloaded ? .offloaded : .blocking
        serving.busyRatio = busyRatio()
        serving.workerQueueLength = workers.queueLength
        serving.workerBusy = workers.busyWorkers
        serving.workerThreads = workers.threadCount
        if let queues = server.withLock({ $0 })?.kernelQueues() {
            serving.connectionsWaiting = queues.connectionsWithUnreadRequests
            serving.acceptQueue = queues.acceptQueue
        }
        snapshot.serving = serving
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        out.gauge("dyno_worker_queue_length", help: "Requests waiting for a worker (serving=offloaded).", workers.queueLength)
        out.gauge("dyno_worker_busy", help: "Workers running a request now.", workers.busyWorkers)
        if let queues = server.withLock({ $0 })?.kernelQueues() {
            out.gauge("dyno_serving_connections_waiting",
                      help: "Connections holding requests no serving thread has read yet (kernel view).",
                      queues.connectionsWithUnreadRequests)
            out.gauge("dyno_serving_accept_queue", help: "Connections not accepted yet (listen backlog in use).",
                      queues.acceptQueue)
        }
        out.counter("dyno_worker_rejected_total", help: "Requests refused with 503 because the worker queue was full.",
                    workers.rejectedTotal)
    }

    func stop() { workers.stop() }

    /// Serving-thread busy fraction since the previous call (0...1), from the server's per-thread busy counters.
    /// Covers the time since the previous probe, so only the aggregator should call it (once per tick).
    private func busyRatio() -> Double {
        guard let stats = server.withLock({ $0?.stats }) else { return 0 }
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
}
