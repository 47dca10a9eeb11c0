@testable import DemoBackend
import Foundation
import HTTP
import Metrics
import Synchronization
import Testing
import TestSupport

/// Issue 14 item 7: with `serving=blocking` waiting requests queue without bound; the serving probe shows that
/// queue (the kernel's count of connections holding unread requests, and of connections not yet accepted).
@Suite("Serving: the blocking model's queue is visible")
struct ServingQueueTests {
    @Test func theQueueFigureGrowsWhileTheServingThreadsAreHeld() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let token = try api.register("zz-queue")
        let slug = try api.createArticle(token: token, title: "Queue")
        // A hanging dependency called without a timeout on the serving thread holds that thread.
        try api.knobs.set(["serving": "blocking", "dependency_io": "blocking", "breaker": "off", "dependency": "hang"],
                          source: "test")
        let port = api.port
        let statuses = Mutex<[Int]>([])
        func send(_ target: String) {
            Thread.detachNewThread {
                let status = (try? HTTPClient.send(HTTPRequest(method: "GET", target: target), to: "127.0.0.1",
                                                   port: port, timeout: .seconds(60)))?.status ?? -1
                statuses.withLock { $0.append(status) }
            }
        }
        // Both serving threads, one after the other (a held thread cannot take the second connection).
        for held in 1...2 {
            send("/api/articles/\(slug)/related")
            #expect(waitUntilBlocking(deadline: .seconds(20)) { api.backend.probe().dependency?.threadsBlocked == held })
        }
        for _ in 0..<6 { send("/api/tags") }
        // Nobody reads these six: they wait in the kernel, and the probe counts them (the two held requests were
        // read, so they are not). No "before" reading to add to: the count is refreshed at most once a second
        // (`HTTPServer.kernelQueues`), so one taken now may still show the held two as unread.
        #expect(waitUntilBlocking(deadline: .seconds(20)) {
            let s = api.backend.probe().serving
            return (s?.connectionsWaiting ?? 0) >= 6 && (s?.acceptQueue ?? 0) >= 6
        })
        #expect(api.backend.probe().serving?.model == .blocking)
        // Healed, everything queued is served and the queue drains.
        try api.knobs.set(["dependency": "ok"], source: "test")
        #expect(waitUntilBlocking(deadline: .seconds(30)) { statuses.withLock { $0.count } == 8 })
        #expect(statuses.withLock { $0 }.allSatisfy { $0 == 200 })
        #expect(waitUntilBlocking(deadline: .seconds(20)) {
            let s = api.backend.probe().serving
            return s?.connectionsWaiting == 0 && s?.acceptQueue == 0
        })
    }

    @Test func metricsCarryTheQueue() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let text = try api.request("GET", "/metrics").text
        #expect(text.contains("dyno_serving_connections_waiting "))
        #expect(text.contains("dyno_serving_accept_queue 0"))
    }
}
