import Foundation
import HTTP
import Synchronization
import Testing
import TestSupport
@testable import DemoBackend

/// The flaky "recommendations" dependency: each fault gives the expected answer or error, within a timeout.
@Suite("Dependency: recommendations service and its faults")
struct DependencyServiceTests {
    static func related(_ port: Int, timeout: Duration = .seconds(5)) throws(HTTPClientError) -> HTTPResponse {
        try HTTPClient.send(HTTPRequest(method: "GET", target: "/related/10"), to: "127.0.0.1", port: port, timeout: timeout)
    }

    static func service(_ faults: DependencyFaults = .init()) throws -> RecommendationsService {
        let service = RecommendationsService(articleCount: 1000, faults: faults)
        try service.start()
        return service
    }

    @Test func okAnswersFiveOtherArticleIDs() throws {
        let service = try Self.service()
        defer { service.stop() }
        let response = try Self.related(service.port)
        #expect(response.status == 200)
        let ids = RecommendationsService.Core.relatedIDs(of: 10, articleCount: 1000)
        #expect(ids.count == 5)
        #expect(!ids.contains(10))
        #expect(Set(ids).count == 5)
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"ids\":[\(ids.map(String.init).joined(separator: ","))]}")
    }

    @Test func spamCheckFlagsLinkFarms() throws {
        let service = try Self.service()
        defer { service.stop() }
        let spam = HTTPRequest(method: "POST", target: "/spam-check", body: Array("http://a http://b http://c".utf8))
        let ham = HTTPRequest(method: "POST", target: "/spam-check", body: Array("Nice article, thanks".utf8))
        #expect(try HTTPClient.send(spam, to: "127.0.0.1", port: service.port).body == Array("{\"spam\":true}".utf8))
        #expect(try HTTPClient.send(ham, to: "127.0.0.1", port: service.port).body == Array("{\"spam\":false}".utf8))
    }

    @Test func flakyAnswers503OnTheGivenShareOfCalls() throws {
        let service = try Self.service(DependencyFaults(mode: .flaky, errorPercent: 100))
        defer { service.stop() }
        #expect(try Self.related(service.port).status == 503)
        try service.setFaults(DependencyFaults(mode: .flaky, errorPercent: 0))
        #expect(try Self.related(service.port).status == 200)
    }

    @Test func slowStillAnswers() throws {
        let service = try Self.service(DependencyFaults(mode: .slow, latencyMilliseconds: 5))
        defer { service.stop() }
        #expect(try Self.related(service.port).status == 200)
    }

    @Test func hangTimesOutAndHealingAnswersTheHeldRequests() throws {
        let service = try Self.service(DependencyFaults(mode: .hang))
        defer { service.stop() }
        do {
            _ = try Self.related(service.port, timeout: .milliseconds(200))
            Issue.record("a hanging dependency should not answer")
        } catch {
            #expect(error.kind == .timeout)
        }
        // A held request is answered once the fault is lifted.
        let client = try EventLoopHTTPClient()
        defer { client.shutdown() }
        let status = Mutex<Int?>(nil)
        client.send(HTTPRequest(method: "GET", target: "/related/3"), host: "127.0.0.1", port: service.port,
                    timeout: nil) { result in
            status.withLock { $0 = (try? result.get())?.status ?? -1 }
        }
        #expect(waitUntilBlocking { service.heldRequests >= 1 && client.inFlight == 1 })
        try service.setFaults(DependencyFaults(mode: .ok))
        #expect(waitUntilBlocking { status.withLock { $0 } != nil })
        #expect(status.withLock { $0 } == 200)
    }

    @Test func resetCutsTheResponseShort() throws {
        let service = try Self.service(DependencyFaults(mode: .reset))
        defer { service.stop() }
        do {
            _ = try Self.related(service.port)
            Issue.record("a reset should not give a response")
        } catch {
            #expect(error.kind == .reset || error.kind == .badResponse)
        }
    }

    @Test func downRefusesConnectionsAndComesBackOnTheSamePort() throws {
        let service = try Self.service()
        defer { service.stop() }
        let port = service.port
        try service.setFaults(DependencyFaults(mode: .down))
        do {
            _ = try Self.related(port)
            Issue.record("a down dependency should refuse the connection")
        } catch {
            #expect(error.kind == .refused)
        }
        try service.setFaults(DependencyFaults(mode: .ok))
        #expect(service.port == port)
        #expect(try Self.related(port).status == 200)
    }

    /// The async client holds no thread per call: one loop thread keeps 40 calls waiting on a hanging dependency at
    /// once (more than the box has threads to spare), and all of them complete when it heals.
    @Test func asyncClientKeepsMoreCallsInFlightThanItHasThreads() throws {
        let service = try Self.service(DependencyFaults(mode: .hang))
        defer { service.stop() }
        let client = try EventLoopHTTPClient()
        defer { client.shutdown() }
        let answered = Atomic<Int>(0)
        for id in 1...40 {
            client.send(HTTPRequest(method: "GET", target: "/related/\(id)"), host: "127.0.0.1", port: service.port,
                        timeout: nil) { result in
                if (try? result.get())?.status == 200 { answered.wrappingAdd(1, ordering: .relaxed) }
            }
        }
        #expect(waitUntilBlocking(deadline: .seconds(10)) { service.heldRequests == 40 })
        #expect(client.inFlight == 40)
        #expect(answered.load(ordering: .relaxed) == 0)
        try service.setFaults(DependencyFaults(mode: .ok))
        #expect(waitUntilBlocking(deadline: .seconds(10)) { answered.load(ordering: .relaxed) == 40 })
        #expect(client.inFlight == 0)
    }

    @Test func asyncClientReportsRefusedAndTimeout() throws {
        let service = try Self.service(DependencyFaults(mode: .hang))
        defer { service.stop() }
        let client = try EventLoopHTTPClient()
        defer { client.shutdown() }
        let kinds = Mutex<[ClientErrorKind]>([])
        client.send(HTTPRequest(method: "GET", target: "/related/1"), host: "127.0.0.1", port: service.port,
                    timeout: .milliseconds(100)) { result in
            if case .failure(let error) = result { kinds.withLock { $0.append(error.kind) } }
        }
        #expect(waitUntilBlocking { kinds.withLock { $0.count } == 1 })
        try service.setFaults(DependencyFaults(mode: .down))
        client.send(HTTPRequest(method: "GET", target: "/related/1"), host: "127.0.0.1", port: service.port,
                    timeout: .seconds(5)) { result in
            if case .failure(let error) = result { kinds.withLock { $0.append(error.kind) } }
        }
        #expect(waitUntilBlocking { kinds.withLock { $0.count } == 2 })
        #expect(kinds.withLock { $0 } == [.timeout, .refused])
    }

    /// Breaker on, blocking calls: the thread bulkhead lets at most half of the shared threads wait on a hanging
    /// dependency; the other callers get the bulkhead rejection (their fallback) at once, and the waiting ones finish
    /// when it heals. Async calls meet only the breaker's own bulkhead.
    @Test func blockingCallsMayTakeOnlyHalfTheSharedThreads() throws {
        let service = try Self.service(DependencyFaults(mode: .hang))
        defer { service.stop() }
        let loop = try EventLoopHTTPClient()
        defer { loop.shutdown() }
        var configuration = CircuitBreakerConfiguration()
        configuration.callTimeoutNanoseconds = 600_000_000_000  // longer than the test: only healing ends a call
        let client = DependencyClient(port: { service.port }, breaker: DependencyBreaker(dependency: "test", configuration: configuration),
                                      eventLoop: loop)
        #expect(DependencyClient.blockingLimit(sharedThreads: 8) == 4)
        #expect(DependencyClient.blockingLimit(sharedThreads: 1) == 1)
        let outcomes = Mutex<[String]>([])
        for id in 1...8 {
            Thread.detachNewThread {
                client.call(HTTPRequest(method: "GET", target: "/related/\(id)"), io: .blocking, breakerOn: true,
                            sharedThreads: 8) { outcome in
                    let text = switch outcome {
                    case .answered: "answered"
                    case .failed: "failed"
                    case .rejected(let why): "rejected \(why)"
                    }
                    outcomes.withLock { $0.append(text) }
                }
            }
        }
        #expect(waitUntilBlocking(deadline: .seconds(30)) {
            outcomes.withLock { $0.count } == 4 && client.threadsBlocked == 4 && service.heldRequests == 4
        })
        #expect(outcomes.withLock { $0 } == Array(repeating: "rejected bulkheadFull", count: 4))
        try service.setFaults(DependencyFaults(mode: .ok))
        #expect(waitUntilBlocking(deadline: .seconds(30)) { outcomes.withLock { $0.count } == 8 })
        #expect(outcomes.withLock { $0.filter { $0 == "answered" }.count } == 4)
        #expect(client.threadsBlocked == 0)
        #expect(client.breaker.reading.rejectedBulkhead == 4)
    }
}
