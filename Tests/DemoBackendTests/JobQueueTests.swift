import Glibc
import Synchronization
import Testing
import TestSupport
@testable import DemoBackend

struct JobTestFailure: Error {}

@Suite("Jobs: durable queue, retries, dead jobs, crash recovery")
struct JobQueueTests {
    /// Retries due at once, so tests wait on outcomes, not on backoff.
    static func configuration(maxAttempts: Int = 5) -> JobQueue.Configuration {
        var c = JobQueue.Configuration()
        c.retry = JobRetryPolicy(maxAttempts: maxAttempts, baseDelayNanoseconds: 1_000_000, maxDelayNanoseconds: 1_000_000)
        return c
    }

    @Test func retryDelaysGrowExponentiallyUpToTheCapAndEndInDeath() {
        let policy = JobRetryPolicy(maxAttempts: 4, baseDelayNanoseconds: 100, maxDelayNanoseconds: 350)
        #expect(policy.nextDelay(afterAttempt: 1, random: 1) == 100)
        #expect(policy.nextDelay(afterAttempt: 2, random: 1) == 200)
        #expect(policy.nextDelay(afterAttempt: 3, random: 1) == 350)
        #expect(policy.nextDelay(afterAttempt: 3, random: 0.5) == 175)
        #expect(policy.nextDelay(afterAttempt: 4, random: 1) == nil)
    }

    @Test func eachJobIsProcessedExactlyOnceNormally() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let runs = Mutex<[Int64: Int]>([:])
        let queue = try JobQueue(path: directory.file("jobs.sqlite"), configuration: Self.configuration()) { job in
            runs.withLock { $0[job.id, default: 0] += 1 }
            return "result of \(job.payload)"
        }
        try queue.start()
        defer { queue.stop() }
        let ids = try (0..<20).map { try queue.enqueue(kind: "test", payload: "p\($0)") }
        #expect(waitUntilBlocking(deadline: .seconds(20)) { queue.statistics.completed == 20 })
        for (index, id) in ids.enumerated() {
            let job = try #require(try queue.job(id: id))
            #expect(job.status == .done)
            #expect(job.attempts == 1)
            #expect(job.result == "result of p\(index)")
        }
        #expect(runs.withLock { $0 }.values.allSatisfy { $0 == 1 })
        #expect(runs.withLock { $0.count } == 20)
        #expect(queue.statistics.depth == 0)
        #expect(queue.statistics.latency.count == 20)
    }

    @Test func workersRunUnderIdleScheduling() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The handler reports its own thread's policy, read back from the kernel (sched_getscheduler on itself).
        let policies = Mutex<[Int32]>([])
        let queue = try JobQueue(path: directory.file("jobs.sqlite"), configuration: Self.configuration()) { _ in
            policies.withLock { $0.append(sched_getscheduler(0)) }
            return "ok"
        }
        try queue.start()
        defer { queue.stop() }
        for i in 0..<4 { _ = try queue.enqueue(kind: "test", payload: "p\(i)") }
        #expect(waitUntilBlocking(deadline: .seconds(20)) { queue.statistics.completed == 4 })
        let seen = policies.withLock { $0 }
        #expect(seen.count == 4)
        #expect(seen.allSatisfy { $0 == 5 }, "policies \(seen): 5 is SCHED_IDLE")
    }

    @Test func aFailedJobIsRetriedUntilItSucceeds() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let queue = try JobQueue(path: directory.file("jobs.sqlite"), configuration: Self.configuration()) { job in
            if job.attempts < 3 { throw JobTestFailure() }
            return "ok"
        }
        try queue.start()
        defer { queue.stop() }
        let id = try queue.enqueue(kind: "test", payload: "")
        #expect(waitUntilBlocking(deadline: .seconds(20)) { (try? queue.job(id: id))??.status == .done })
        let job = try #require(try queue.job(id: id))
        #expect(job.attempts == 3)
        #expect(job.result == "ok")
        #expect(queue.statistics.retried == 2)
        #expect(queue.statistics.dead == 0)
    }

    @Test func aJobThatKeepsFailingIsDeadAfterTheLastAttempt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let runs = Atomic<Int>(0)
        let queue = try JobQueue(path: directory.file("jobs.sqlite"), configuration: Self.configuration(maxAttempts: 3)) { _ in
            runs.wrappingAdd(1, ordering: .relaxed)
            throw JobTestFailure()
        }
        try queue.start()
        defer { queue.stop() }
        let id = try queue.enqueue(kind: "test", payload: "")
        #expect(waitUntilBlocking(deadline: .seconds(20)) { (try? queue.job(id: id))??.status == .dead })
        let job = try #require(try queue.job(id: id))
        #expect(job.attempts == 3)
        #expect(job.lastError != nil)
        #expect(runs.load(ordering: .relaxed) == 3)
        #expect(queue.statistics.dead == 1)
        #expect(queue.statistics.depth == 0)
    }

    /// A process killed while two jobs ran left them `running`; the next start re-queues them and every job is done
    /// exactly once by the new process: nothing is lost.
    @Test func runningJobsAreRequeuedAfterACrash() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("jobs.sqlite")
        let crashed = try JobStore(path: path)
        let ids = try (0..<3).map { try crashed.enqueue(kind: "test", payload: "p\($0)", nowMilliseconds: JobStore.nowMilliseconds()) }
        #expect(try crashed.claimNext(nowMilliseconds: JobStore.nowMilliseconds())?.id == ids[0])
        #expect(try crashed.claimNext(nowMilliseconds: JobStore.nowMilliseconds())?.id == ids[1])
        crashed.close()  // as after kill -9: only what was committed remains

        let runs = Mutex<[Int64: Int]>([:])
        let queue = try JobQueue(path: path, configuration: Self.configuration()) { job in
            runs.withLock { $0[job.id, default: 0] += 1 }
            return "done \(job.payload)"
        }
        try queue.start()
        defer { queue.stop() }
        #expect(waitUntilBlocking(deadline: .seconds(20)) { queue.statistics.completed == 3 })
        #expect(runs.withLock { $0 } == [ids[0]: 1, ids[1]: 1, ids[2]: 1])
        #expect(try queue.job(id: ids[0])?.attempts == 2)
        #expect(try queue.job(id: ids[2])?.attempts == 1)
        for id in ids { #expect(try queue.job(id: id)?.status == .done) }
    }
}
