import Metrics
import Synchronization
import Testing
import TestSupport
@testable import LoadGenerator

/// Declared error statuses, undo routes (favorite then unfavorite) and harvest ranking.
@Suite(.serialized) struct ExpectedAndUndoTests {
    @Test func declaredErrorStatusesAreErrorsButNotUnexpectedOnes() async throws {
        let server = try ScriptedTestServer { request in
            request.target == "/dup" ? .respond(status: 409, body: "{}") : .respond(status: 500, body: "{}")
        }
        defer { server.stop() }
        let plan = LoadPlan(target: TargetAddress(host: "127.0.0.1", port: server.port),
                            model: .closed(users: 2, thinkTime: .zero),
                            routes: [RoutePlan(name: "dup", path: "/dup", expect: [409]),
                                     RoutePlan(name: "broken", path: "/broken", expect: [409])],
                            threads: 1)
        let generator = try LoadGenerator(plan: plan)
        try generator.prepare()
        generator.start()
        let reached = await waitUntil(deadline: .seconds(10), interval: .milliseconds(20)) {
            let routes = generator.collect().routes
            return routes.allSatisfy { $0.total.completed >= 10 }
        }
        generator.stop()
        #expect(reached)
        let tick = generator.collect()
        let dup = tick.routes[0].total, broken = tick.routes[1].total
        #expect(dup.errors == dup.completed && dup.unexpectedErrors == 0)
        #expect(broken.errors == broken.completed && broken.unexpectedErrors == broken.completed)
        #expect(tick.load.total.unexpectedErrors == broken.unexpectedErrors)
    }

    @Test func anUndoRouteAlternatesDoingAndUndoingPerUserAndValue() async throws {
        let fake = try FakeConduitServer()
        defer { fake.stop() }
        let session = SessionPlan(
            setup: RoutePlan(name: "register", method: "POST", path: "/users", headers: [("Content-Type", "application/json")],
                             body: #"{"user":{"username":"u{{vu}}x{{run}}","email":"u{{vu}}x{{run}}@x.io","password":"p"}}"#),
            extract: [("token", "user.token")])
        let plan = LoadPlan(
            target: TargetAddress(host: "127.0.0.1", port: fake.port),
            model: .closed(users: 2, thinkTime: .zero),
            routes: [RoutePlan(name: "favorite", method: "POST", path: "/articles/{{slug}}/favorite",
                               headers: [("Authorization", "Token {{token}}")], undoMethod: "DELETE")],
            values: ["slug": ValueList(["article-1", "article-2"])],
            session: session, threads: 1, runID: "r1")
        let generator = try LoadGenerator(plan: plan)
        try generator.prepare()
        generator.start()
        let reached = await waitUntil(deadline: .seconds(10), interval: .milliseconds(20)) {
            generator.collect().load.total.completed >= 60
        }
        generator.stop()
        #expect(reached)
        let total = generator.collect().load.total
        // Every value is picked many times per user: without undo each repeat would be a 409 here.
        #expect(total.errors == 0 && total.unexpectedErrors == 0)
        #expect(fake.conflicts == 0)
    }

    @Test func frequencyRankingPutsTheMostSeenValuesFirstOnce() {
        let ranked = Preparation.ranked(["b", "a", "c", "a", "c", "a", "d"], .frequency)
        #expect(ranked == ["a", "c", "b", "d"])
        #expect(Preparation.ranked(["b", "a", "b"], .asListed) == ["b", "a", "b"])
    }

    @Test func statusSetHoldsExactlyItsStatuses() {
        let set = StatusSet([404, 409, 599])
        #expect(set.contains(409) && set.contains(404) && set.contains(599))
        #expect(!set.contains(400) && !set.contains(200) && !set.contains(-1) && !set.contains(700))
    }
}
