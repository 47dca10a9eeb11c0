@testable import DemoBackend
import Foundation
import HTTP
import Knobs
import Metrics
import Synchronization
import Testing
import TestSupport

/// The dependency's routes through the real backend: both settings of `dependency_io` and `breaker` answer the same;
/// each fault gives the expected error (breaker off) or fallback (breaker on) within the call timeout.
@Suite("Knobs: dependency_io, breaker and the dependency faults")
struct DependencyKnobTests {
    /// A user following someone, an article with a slug, and the related route's path.
    static func setUp(_ api: APITestBackend) throws -> (token: String, slug: String) {
        let token = try api.register("zz-deps")
        let slug = try api.createArticle(token: token, title: "Dependency")
        return (token, slug)
    }

    @Test func relatedArticlesAreTheSameBlockingAndAsync() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let (_, slug) = try Self.setUp(api)
        let blocking = try api.request("GET", "/api/articles/\(slug)/related")
        #expect(blocking.status == 200)
        #expect(blocking.json?["articles"]?.count ?? 0 > 0)
        #expect(blocking.json?["articles"]?[0]?["body"] == nil)
        try api.knobs.set(["dependency_io": "async"], source: "test")
        let async = try api.request("GET", "/api/articles/\(slug)/related")
        #expect(async.text == blocking.text)
        try api.knobs.set(["breaker": "on", "serving": "offloaded"], source: "test")
        #expect(try api.request("GET", "/api/articles/\(slug)/related").text == blocking.text)
        let probe = api.backend.probe()
        #expect(probe.dependency?.io == .async)
        #expect(probe.dependency?.calls == 3)
        #expect(probe.breakers.first?.state == .closed)
        #expect(try api.request("GET", "/api/articles/no-such-slug/related").status == 404)
    }

    @Test func failingDependencyIs503WithoutBreakerAndAFallbackWithIt() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let (token, slug) = try Self.setUp(api)
        for io in ["blocking", "async"] {
            for fault in ["reset", "down"] {
                try api.knobs.set(["dependency_io": io, "dependency": fault, "breaker": "off"], source: "test")
                let failed = try api.request("GET", "/api/articles/\(slug)/related")
                #expect(failed.status == 503, "\(io) \(fault)")
                #expect(!failed.text.contains("errno"), "no internals in the response")
                try api.knobs.set(["breaker": "on"], source: "test")
                let fallback = try api.request("GET", "/api/articles/\(slug)/related")
                #expect(fallback.status == 200, "\(io) \(fault)")
                #expect(fallback.header("X-Fallback") == "recommendations")
                #expect(fallback.json?["articlesCount"]?.intValue == 0)
            }
        }
        // The comment's spam check: 503 without the breaker, stored and flagged with it.
        try api.knobs.set(["dependency": "flaky", "dependency_error_pct": "100", "breaker": "off"], source: "test")
        let body = #"{"comment":{"body":"Thanks"}}"#
        #expect(try api.request("POST", "/api/articles/\(slug)/comments", body: body, token: token).status == 503)
        try api.knobs.set(["breaker": "on"], source: "test")
        let flagged = try api.request("POST", "/api/articles/\(slug)/comments", body: body, token: token)
        #expect(flagged.status == 200)
        #expect(flagged.header("X-Spam-Check") == "skipped")
        // Healthy again: spam is refused, other comments pass unflagged.
        try api.knobs.set(["dependency": "ok", "breaker": "off"], source: "test")
        let spam = #"{"comment":{"body":"free money at the casino"}}"#
        #expect(try api.request("POST", "/api/articles/\(slug)/comments", body: spam, token: token).status == 422)
        let fine = try api.request("POST", "/api/articles/\(slug)/comments", body: body, token: token)
        #expect(fine.status == 200)
        #expect(fine.header("X-Spam-Check") == nil)
    }

    @Test func hangingDependencyTimesOutWithTheBreakerAndOpensIt() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let (_, slug) = try Self.setUp(api)
        try api.knobs.set(["dependency": "hang", "breaker": "on", "dependency_io": "async"], source: "test")
        // Each call is abandoned at the 1 s call timeout and answered with the fallback.
        let timedOut = try api.request("GET", "/api/articles/\(slug)/related")
        #expect(timedOut.status == 200)
        #expect(timedOut.header("X-Fallback") == "recommendations")
        #expect(api.backend.probe().breakers.first?.timeouts == 1)
        try api.knobs.set(["dependency": "ok"], source: "test")
        #expect(try api.request("GET", "/api/articles/\(slug)/related").header("X-Fallback") == nil)
    }

    /// With `dependency_io=async` on two serving threads, 16 requests wait on a hanging dependency at once: no thread
    /// waits for them (the probe says none is blocked), and they all complete when it heals.
    @Test func asyncCallsHoldNoThreadWhileTheDependencyHangs() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let (_, slug) = try Self.setUp(api)
        try api.knobs.set(["dependency": "hang", "dependency_io": "async"], source: "test")
        let port = api.port
        let statuses = Mutex<[Int]>([])
        for _ in 0..<16 {
            Thread.detachNewThread {
                let status = (try? HTTPClient.send(HTTPRequest(method: "GET", target: "/api/articles/\(slug)/related"),
                                                   to: "127.0.0.1", port: port, timeout: .seconds(30)))?.status ?? -1
                statuses.withLock { $0.append(status) }
            }
        }
        #expect(waitUntilBlocking(deadline: .seconds(20)) { api.backend.probe().dependency?.heldByDependency == 16 })
        let probe = api.backend.probe()
        #expect(probe.dependency?.inFlight == 16)
        #expect(probe.dependency?.threadsBlocked == 0)
        // The serving threads are free meanwhile.
        #expect(try api.request("GET", "/api/tags").status == 200)
        try api.knobs.set(["dependency": "ok"], source: "test")
        #expect(waitUntilBlocking(deadline: .seconds(20)) { statuses.withLock { $0.count } == 16 })
        #expect(statuses.withLock { $0 }.allSatisfy { $0 == 200 })
    }

    @Test func faultKnobsAreLeftAloneByPresetsAndListedApart() throws {
        let knobs = DemoBackend.makeKnobRegistry()
        try knobs.set(["dependency": "hang"], source: "test")
        knobs.apply(preset: .optimized, source: "test")
        #expect(knobs["dependency"]?.value == "hang")
        #expect(knobs["breaker"]?.value == "on")
        #expect(knobs["dependency_io"]?.value == "async")
        #expect(knobs["jobs"]?.value == "queued")
        let faults = DemoBackend.knobDefinitions.filter { $0.group == .fault }.map(\.id)
        #expect(faults == ["dependency", "dependency_latency_ms", "dependency_error_pct"])
    }
}

/// `jobs`: the heavy report inline (201, finished) or queued (202 + Location, then done), same result both ways.
@Suite("Knobs: jobs and the report endpoint")
struct JobsKnobTests {
    @Test func reportsAreTheSameInlineAndQueued() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let token = try api.register("zz-reader")
        // Follow two seeded authors so the report has articles (and a debug build computes it quickly).
        let authors = try api.request("GET", "/api/articles?limit=20")
        var followed = Set<String>()
        for index in 0..<20 where followed.count < 2 {
            guard let name = authors.json?["articles"]?[index]?["author"]?["username"]?.stringValue,
                  followed.insert(name).inserted else { continue }
            #expect(try api.request("POST", "/api/profiles/\(name)/follow", token: token).status == 200)
        }
        // The inline report is heavy work on the request, and a debug build under a loaded test run can take longer
        // than the keep-alive client's 5 s receive timeout: a one-off request with a wide deadline.
        let raw = try HTTPClient.send(HTTPRequest(method: "POST", target: "/api/reports",
                                                  headers: ["Authorization": "Token \(token)"]),
                                      to: "127.0.0.1", port: api.port, timeout: .seconds(120))
        let inline = APIResponse(status: raw.status, headers: raw.headers.map { (name: $0.name, value: $0.value) },
                                 body: raw.body, json: try? JSONParser.parse(raw.body))
        #expect(inline.status == 201)
        #expect(inline.json?["report"]?["status"]?.stringValue == "done")
        #expect(inline.json?["report"]?["result"]?["articles"]?.intValue ?? 0 > 0)
        try api.knobs.set(["jobs": "queued"], source: "test")
        let queued = try api.request("POST", "/api/reports", token: token)
        #expect(queued.status == 202)
        let location = try #require(queued.header("Location"))
        #expect(queued.json?["report"]?["status"]?.stringValue == "queued")
        #expect(waitUntilBlocking(deadline: .seconds(30)) {
            (try? api.request("GET", location, token: token))?.json?["report"]?["status"]?.stringValue == "done"
        })
        let done = try api.request("GET", location, token: token)
        #expect(done.json?["report"]?["attempts"]?.intValue == 1)
        #expect(done.json?["report"]?["result"] == inline.json?["report"]?["result"])
        // Another user cannot read it.
        let other = try api.register("zz-other")
        #expect(try api.request("GET", location, token: other).status == 404)
        #expect(try api.request("POST", "/api/reports").status == 401)
        let probe = api.backend.probe()
        #expect(probe.jobs?.mode == .queued)
        #expect(probe.jobs?.completed == 1)
        let metrics = try api.request("GET", "/metrics").text
        #expect(metrics.contains("dyno_jobs_completed_total 1"))
        #expect(metrics.contains("dyno_breaker_state{dependency=\"recommendations\",state=\"off\"} 1"))
        #expect(metrics.contains("dyno_dependency_calls_in_flight 0"))
    }
}
