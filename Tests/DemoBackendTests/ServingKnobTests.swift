@testable import DemoBackend
import Dispatch
import Synchronization
import Testing
import TestSupport

@Suite("serving knob and worker pool")
struct ServingKnobTests {
    @Test func workerPoolIsBoundedFIFOAndDropsQueuedJobsOnStop() {
        let pool = WorkerPool(threads: 1, capacity: 2)
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        let order = Mutex<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        // Job 0 occupies the only worker until the gate opens.
        #expect(pool.submit { started.signal(); gate.wait(); order.withLock { $0.append(0) }; done.signal() })
        started.wait()
        #expect(pool.busyWorkers == 1)
        #expect(pool.submit { order.withLock { $0.append(1) }; done.signal() })
        #expect(pool.submit { order.withLock { $0.append(2) }; done.signal() })
        #expect(pool.queueLength == 2)
        #expect(!pool.submit { Issue.record("a job beyond capacity ran") })   // full: refused at once
        #expect(pool.rejectedTotal == 1)
        gate.signal()
        for _ in 0..<3 { done.wait() }
        #expect(order.withLock { $0 } == [0, 1, 2])
        // stop() lets the running job finish but drops the queued one (its connection is gone by then).
        let ran = Atomic<Int>(0)
        #expect(pool.submit { started.signal(); gate.wait(); ran.add(1, ordering: .relaxed) })
        started.wait()
        #expect(pool.submit { ran.add(10, ordering: .relaxed) })
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { pool.stop(); stopped.signal() }
        #expect(waitUntilBlocking { pool.queueLength == 0 })
        gate.signal()
        stopped.wait()
        #expect(ran.load(ordering: .relaxed) == 1)
        #expect(!pool.submit {})
    }

    @Test func offloadedServingAnswersTheSameAndReportsWorkers() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let token = try api.register("zz-offload")
        let slug = try api.createArticle(token: token, title: "Offloaded")
        let targets = ["/api/tags", "/api/articles?limit=5", "/api/articles/\(slug)", "/api/profiles/zz-offload"]
        let inline = try targets.map { try api.request("GET", $0).text }
        try api.knobs.set(["serving": "offloaded"], source: "test")
        let offloaded = try targets.map { try api.request("GET", $0).text }
        #expect(inline == offloaded)
        #expect(try api.request("GET", "/api/user", token: token).status == 200)
        let probe = api.backend.probe()
        #expect(probe.serving?.model == .offloaded)
        #expect(probe.serving?.workerThreads == api.backend.configuration.workerThreads)
        let metrics = try api.request("GET", "/metrics").text
        #expect(metrics.contains("dyno_worker_rejected_total 0"))
        #expect(api.backend.metrics[.tags].requests == 2)
    }
}
