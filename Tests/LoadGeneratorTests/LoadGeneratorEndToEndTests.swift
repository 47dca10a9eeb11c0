import Metrics
import Synchronization
import Testing
import TestSupport
@testable import LoadGenerator

/// Runs `generator` until `condition` holds on a collected tick (or 10 s pass), stops it, and returns the last tick.
private func run(_ generator: LoadGenerator, until condition: @escaping (LoadTick) -> Bool) async throws -> LoadTick {
    try generator.prepare()
    generator.start()
    let reached = await waitUntil(deadline: .seconds(10), interval: .milliseconds(20)) {
        condition(generator.collect())
    }
    generator.stop()
    #expect(reached, "the run did not reach its condition in time")
    return generator.collect()
}

/// The invariants every finished run must satisfy.
private func expectConsistent(_ tick: LoadTick) {
    let total = tick.load.total
    let transport = total.transportErrors.values.reduce(0, +)
    #expect(total.sent == total.completed + transport, "sent = completed + transport errors after stop")
    #expect(total.completed == total.statusCounts.values.reduce(0, +))
    var sum = LoadCounts()
    for route in tick.routes { sum.add(route.total) }
    #expect(sum == total, "per-route totals add up to the overall totals")
    #expect(tick.load.latencyTotal.count == total.completed)
    #expect(tick.load.serviceTotal.count == total.completed)
    #expect(tick.load.inFlight == 0)
}

@Suite(.serialized) struct LoadGeneratorEndToEndTests {
    @Test func openModelAtALowRateCountsAddUp() async throws {
        let server = try ScriptedTestServer { request in
            request.target.hasPrefix("/missing") ? .respond(status: 404, body: "no") : .respond(status: 200, body: "ok")
        }
        defer { server.stop() }
        let plan = LoadPlan(
            target: TargetAddress(host: "127.0.0.1", port: server.port),
            model: .open(try .constant(400)),
            routes: [RoutePlan(name: "home", weight: 3, path: "/"), RoutePlan(name: "missing", weight: 1, path: "/missing")],
            connections: 8, threads: 2)
        let generator = try LoadGenerator(plan: plan)
        let tick = try await run(generator) { $0.load.total.completed >= 150 }
        expectConsistent(tick)
        let total = tick.load.total
        #expect(total.transportErrors.isEmpty)
        #expect(total.statusCounts[200, default: 0] > 0 && total.statusCounts[404, default: 0] > 0)
        #expect(total.errors == total.statusCounts[404, default: 0])
        #expect(tick.routes.map(\.name) == ["home", "missing"])
        #expect(tick.routes[1].total.completed == total.statusCounts[404])
        #expect(server.requests == Int(total.completed))
        #expect(server.connections <= 1 + 8)   // the probe plus at most the configured connections
        if case .open(let rate) = tick.load.model { #expect(rate == 400) } else { Issue.record("model should be open") }
    }

    @Test func closedModelReusesOneKeepAliveConnectionPerUser() async throws {
        let server = try ScriptedTestServer { _ in .respond(status: 200, body: "hello") }
        defer { server.stop() }
        let plan = LoadPlan(target: TargetAddress(host: "127.0.0.1", port: server.port),
                            model: .closed(users: 4, thinkTime: .zero), routes: [RoutePlan(name: "r", path: "/")],
                            threads: 2)
        // The test server accepts on its own thread: under CPU load a user may still sit in the accept backlog
        // while the others have done 400 requests, so wait for all five connections too.
        let tick = try await run(try LoadGenerator(plan: plan)) { $0.load.total.completed >= 400 && server.connections >= 5 }
        expectConsistent(tick)
        #expect(server.connections == 1 + 4)   // prepare()'s reachability probe, then one per user (never more)
        #expect(tick.load.total.bytesReceived > 400 * 5)
        #expect(tick.routes[0].latencyTotal.count == tick.load.total.completed)
    }

    @Test func chunkedCloseDelimitedAndConnectionCloseResponsesAreReadAndConnectionsReopened() async throws {
        let server = try ScriptedTestServer { request in
            switch request.target {
            case "/chunked":
                return .raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n", close: false)
            case "/until-close":
                return .raw("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close", close: true)
            case "/close":
                return .raw("HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno", close: true)
            case "/garbage":
                return .raw("NOT HTTP\r\n\r\n", close: false)
            default:
                return .raw("HTTP/1.1 204 No Content\r\n\r\n", close: false)
            }
        }
        defer { server.stop() }
        let plan = LoadPlan(
            target: TargetAddress(host: "127.0.0.1", port: server.port),
            model: .closed(users: 2, thinkTime: .zero),
            routes: ["/chunked", "/until-close", "/close", "/garbage", "/empty"].map { RoutePlan(name: $0, path: $0) },
            threads: 1)
        let tick = try await run(try LoadGenerator(plan: plan)) { tick in
            tick.routes.allSatisfy { $0.total.completed + $0.total.transportErrors.values.reduce(0, +) >= 5 }
        }
        expectConsistent(tick)
        let byName = Dictionary(uniqueKeysWithValues: tick.routes.map { ($0.name, $0.total) })
        #expect(byName["/chunked"]!.statusCounts == [200: byName["/chunked"]!.completed])
        #expect(byName["/until-close"]!.statusCounts[200, default: 0] >= 5)
        #expect(byName["/close"]!.statusCounts[503, default: 0] >= 5)
        #expect(byName["/close"]!.errors == byName["/close"]!.completed)   // 5xx counts as an error
        #expect(byName["/empty"]!.statusCounts[204, default: 0] >= 5)
        #expect(byName["/garbage"]!.completed == 0)
        #expect(byName["/garbage"]!.transportErrors[.badResponse, default: 0] >= 5)
        // Closed connections were replaced: more connections than users.
        #expect(server.connections > 1 + 2)
    }

    @Test func largeRequestBodiesAreWrittenAcrossPartialWrites() async throws {
        let received = Mutex<[Int]>([])
        let server = try ScriptedTestServer { request in
            received.withLock { $0.append(request.body.utf8.count) }
            return .respond(status: 201, body: "stored")
        }
        defer { server.stop() }
        let size = 8 << 20   // larger than a loopback socket buffer: the worker must wait for writability
        let plan = LoadPlan(target: TargetAddress(host: "127.0.0.1", port: server.port),
                            model: .closed(users: 2, thinkTime: .zero),
                            routes: [RoutePlan(name: "upload", method: "POST", path: "/upload",
                                               body: String(repeating: "x", count: size))],
                            threads: 1)
        let tick = try await run(try LoadGenerator(plan: plan)) { $0.load.total.completed >= 4 }
        expectConsistent(tick)
        #expect(tick.load.total.statusCounts[201] == tick.load.total.completed)
        #expect(received.withLock { $0 }.allSatisfy { $0 == size })
    }

    @Test func unreachableTargetFailsPrepareWithAClearError() throws {
        let port = FreePort.pick()
        let plan = LoadPlan(target: TargetAddress(host: "127.0.0.1", port: port),
                            model: .closed(users: 1, thinkTime: .zero), routes: [RoutePlan(name: "r", path: "/")])
        let generator = try LoadGenerator(plan: plan)
        #expect {
            try generator.prepare()
        } throws: { error in
            "\(error)".contains("127.0.0.1:\(port)") && "\(error)".contains("refused")
        }
    }

    @Test func transportErrorsAreClassifiedAndTheRunContinues() async throws {
        let server = try ScriptedTestServer { request in
            switch request.target {
            case "/slow": return .silent
            case "/reset": return .reset
            default: return .respond(status: 200, body: "ok")
            }
        }
        defer { server.stop() }
        let plan = LoadPlan(
            target: TargetAddress(host: "127.0.0.1", port: server.port),
            model: .closed(users: 3, thinkTime: .zero),
            routes: [RoutePlan(name: "ok", path: "/ok"), RoutePlan(name: "slow", path: "/slow"),
                     RoutePlan(name: "reset", path: "/reset")],
            threads: 1, requestTimeout: .milliseconds(100))
        let tick = try await run(try LoadGenerator(plan: plan)) { tick in
            let t = tick.load.total.transportErrors
            return t[.timeout, default: 0] >= 2 && t[.reset, default: 0] >= 2 && tick.load.total.completed >= 10
        }
        expectConsistent(tick)
        let byName = Dictionary(uniqueKeysWithValues: tick.routes.map { ($0.name, $0.total) })
        #expect(byName["slow"]!.transportErrors.keys.allSatisfy { $0 == .timeout })
        #expect(byName["reset"]!.transportErrors.keys.allSatisfy { $0 == .reset })
        #expect(byName["ok"]!.transportErrors.isEmpty)
    }

    @Test func targetGoingAwayMidRunIsCountedAsRefusedOrReset() async throws {
        let server = try ScriptedTestServer { _ in .respond(status: 200, body: "ok") }
        let plan = LoadPlan(target: TargetAddress(host: "127.0.0.1", port: server.port),
                            model: .open(try .constant(1000)), routes: [RoutePlan(name: "r", path: "/")],
                            connections: 4, threads: 2)
        let generator = try LoadGenerator(plan: plan)
        try generator.prepare()
        generator.start()
        #expect(await waitUntil { generator.collect().load.total.completed >= 50 })
        server.stop()
        #expect(await waitUntil { generator.collect().load.total.transportErrors[.refused, default: 0] >= 50 })
        generator.stop()
        let tick = generator.collect()
        expectConsistent(tick)
        let kinds = Set(tick.load.total.transportErrors.keys)
        #expect(kinds.isSubset(of: [.refused, .reset]))
    }

    @Test func harvestAndSessionsFeedTemplates() async throws {
        let seen = Mutex<[SeenRequest]>([])
        let server = try ScriptedTestServer { request in
            switch (request.method, request.target) {
            case ("GET", "/api/tags"):
                return .respond(status: 200, body: #"{"tags":["red","green","blue"]}"#)
            case ("POST", "/api/users"):
                // Echo the registered name back as the token.
                let name = request.body.split(separator: "\"").dropFirst(5).first.map(String.init) ?? "?"
                return .respond(status: 201, body: #"{"user":{"token":"tok-\#(name)"}}"#)
            default:
                seen.withLock { $0.append(request) }
                return .respond(status: 200, body: "{}")
            }
        }
        defer { server.stop() }
        let session = SessionPlan(
            setup: RoutePlan(name: "register", method: "POST", path: "/api/users",
                             headers: [("Content-Type", "application/json")],
                             body: #"{"user":{"username":"u{{vu}}_{{run}}"}}"#),
            extract: [("token", "user.token")])
        let plan = LoadPlan(
            target: TargetAddress(host: "127.0.0.1", port: server.port),
            model: .closed(users: 3, thinkTime: .milliseconds(1)),
            routes: [RoutePlan(name: "by tag", path: "/api/articles?tag={{tag}}",
                               headers: [("Authorization", "Token {{token}}")])],
            harvests: [HarvestPlan(valueName: "tag", path: "/api/tags", extract: "tags[]")],
            session: session, threads: 1, runID: "run9")
        let tick = try await run(try LoadGenerator(plan: plan)) { $0.load.total.completed >= 30 }
        expectConsistent(tick)
        let requests = seen.withLock { $0 }
        #expect(requests.count >= 30)
        let tags = Set(requests.map { $0.target })
        #expect(tags.isSubset(of: ["/api/articles?tag=red", "/api/articles?tag=green", "/api/articles?tag=blue"]))
        let tokens = Set(requests.compactMap { $0.headers["authorization"] })
        #expect(tokens == ["Token tok-u0_run9", "Token tok-u1_run9", "Token tok-u2_run9"])
    }

    @Test func pauseStopsSendingAndResumeContinues() async throws {
        let server = try ScriptedTestServer { _ in .respond(status: 200, body: "ok") }
        defer { server.stop() }
        let plan = LoadPlan(target: TargetAddress(host: "127.0.0.1", port: server.port),
                            model: .closed(users: 2, thinkTime: .zero), routes: [RoutePlan(name: "r", path: "/")],
                            threads: 1)
        let generator = try LoadGenerator(plan: plan)
        try generator.prepare()
        generator.start()
        defer { generator.stop() }
        #expect(await waitUntil { generator.collect().load.total.completed >= 20 })
        generator.pause()
        #expect(generator.isPaused)
        // Paused: in-flight requests finish and no new ones start.
        #expect(await waitUntil { generator.collect().load.inFlight == 0 && server.requests > 0 })
        let pausedAt = server.requests
        #expect(await waitUntil { generator.collect().load.total.sent == UInt64(server.requests) })
        #expect(server.requests == pausedAt)
        generator.resume()
        #expect(await waitUntil { server.requests > pausedAt + 20 })
        generator.setUsers(0)
        #expect(await waitUntil { generator.collect().load.inFlight == 0 })
        if case .closed(let users, _) = generator.collect().load.model { #expect(users == 0) }
    }

    @Test func openModelRateChangesAndPauseTakeEffect() async throws {
        let server = try ScriptedTestServer { _ in .respond(status: 200, body: "ok") }
        defer { server.stop() }
        let plan = LoadPlan(target: TargetAddress(host: "127.0.0.1", port: server.port),
                            model: .open(try .constant(500)), routes: [RoutePlan(name: "r", path: "/")],
                            connections: 4, threads: 2)
        let generator = try LoadGenerator(plan: plan)
        try generator.prepare()
        generator.start()
        defer { generator.stop() }
        #expect(await waitUntil { generator.collect().load.total.completed >= 20 })
        generator.setRate(0)
        if case .open(let rate) = generator.collect().load.model { #expect(rate == 0) }
        #expect(await waitUntil { generator.collect().load.inFlight == 0 })
        #expect(await waitUntil { generator.collect().load.total.sent == UInt64(server.requests) })
        let stoppedAt = server.requests
        generator.setRate(2000)
        #expect(await waitUntil { server.requests >= stoppedAt + 50 })
        generator.pause()
        if case .open(let rate) = generator.collect().load.model { #expect(rate == 0) }
        #expect(generator.isPaused)
        generator.resume()
        if case .open(let rate) = generator.collect().load.model { #expect(rate == 2000) }
        let resumedAt = server.requests
        #expect(await waitUntil { server.requests >= resumedAt + 50 })
    }

    @Test func setUsersAddsAndRemovesVirtualUsers() async throws {
        let server = try ScriptedTestServer { _ in .respond(status: 200, body: "ok") }
        defer { server.stop() }
        let plan = LoadPlan(target: TargetAddress(host: "127.0.0.1", port: server.port),
                            model: .closed(users: 1, thinkTime: .zero), routes: [RoutePlan(name: "r", path: "/")],
                            threads: 2)
        let generator = try LoadGenerator(plan: plan)
        try generator.prepare()
        generator.start()
        defer { generator.stop() }
        #expect(await waitUntil { generator.collect().load.total.completed >= 10 })
        generator.setUsers(5)
        // Four more users, each with its own connection, on both workers.
        #expect(await waitUntil { generator.collect().load.openConnections == 5 })
        #expect(server.connections == 1 + 5)
        generator.setUsers(2)
        #expect(await waitUntil { generator.collect().load.openConnections == 2 })
        if case .closed(let users, _) = generator.collect().load.model { #expect(users == 2) }
    }

    /// Issue 14: one connection waiting on a server that never answers is the server's saturation, not a
    /// generator limit; the arrivals due meanwhile are counted as queued.
    @Test func tooFewConnectionsForASilentServerIsServerSaturationNotAGeneratorLimit() async throws {
        let server = try ScriptedTestServer { _ in .silent }
        defer { server.stop() }
        let plan = LoadPlan(target: TargetAddress(host: "127.0.0.1", port: server.port),
                            model: .open(try .constant(200)), routes: [RoutePlan(name: "r", path: "/")],
                            connections: 1, threads: 1, requestTimeout: .milliseconds(50))
        let generator = try LoadGenerator(plan: plan)
        var health = GeneratorHealth()
        let tick = try await run(generator) { tick in
            if tick.load.generator.behindSchedule { health = tick.load.generator }
            return health.behindSchedule && tick.load.total.transportErrors[.timeout, default: 0] >= 3
        }
        #expect(health.limitedBy != "connections")
        #expect(health.allConnectionsWaiting)
        #expect(health.connections == 1)
        #expect(health.queuedArrivals >= 1)
        #expect(health.lagSeconds > 0.01)
        // Every request that was sent timed out (the server never answers) and none was dropped silently.
        #expect(tick.load.total.sent == tick.load.total.transportErrors[.timeout, default: 0])
    }

    @Test func invalidPlansAreRejectedNamingTheField() throws {
        let target = TargetAddress(host: "127.0.0.1", port: 1)
        #expect(throws: LoadPlanError.self) {
            _ = try LoadGenerator(plan: LoadPlan(target: target, model: .closed(users: 1, thinkTime: .zero), routes: []))
        }
        #expect(throws: LoadPlanError.self) {
            _ = try LoadGenerator(plan: LoadPlan(target: target, model: .closed(users: 1, thinkTime: .zero),
                                                 routes: [RoutePlan(name: "r", weight: 0, path: "/")]))
        }
        #expect(throws: LoadPlanError.self) {
            _ = try LoadGenerator(plan: LoadPlan(target: target, model: .closed(users: 1, thinkTime: .zero),
                                                 routes: [RoutePlan(name: "r", path: "/{{nothing}}")]))
        }
        #expect(throws: LoadPlanError.self) { _ = try TargetAddress(url: "https://example.com/") }
        let parsed = try TargetAddress(url: "http://localhost:8080/api/")
        #expect(parsed == TargetAddress(host: "localhost", port: 8080, basePath: "/api"))
    }
}
