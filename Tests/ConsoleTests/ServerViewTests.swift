import Testing
@testable import Console
import Metrics

@Suite("Server view: the backend's own per-route figures")
struct ServerViewTests {
    func probe(_ route: String, requests: UInt64, queries: UInt64, dbNs: UInt64, stages: [String: UInt64],
               mean: Double) -> BackendRouteProbe {
        var p = BackendRouteProbe(route: route)
        p.requests = requests; p.dbQueries = queries; p.dbNanoseconds = dbNs; p.stageNanoseconds = stages
        p.latency = LatencySummary(count: requests, mean: mean)
        return p
    }

    @Test func figuresComeFromTheDifferenceOfTwoSnapshots() throws {
        var a = BackendSnapshot(), b = BackendSnapshot()
        a.routes = [
            probe("GET /a", requests: 100, queries: 2_100, dbNs: 50_000_000,
                  stages: ["queue": 1_000_000, "pool": 2_000_000, "db": 40_000_000], mean: 1_000_000),
            probe("GET /idle", requests: 7, queries: 7, dbNs: 1_000, stages: [:], mean: 10_000),
            probe("background", requests: 0, queries: 10, dbNs: 1_000, stages: [:], mean: 0),
        ]
        b.routes = [
            // 200 more requests: 21 queries, 0.5 ms of SQL, 1.5 ms in the handler each.
            probe("GET /a", requests: 300, queries: 6_300, dbNs: 150_000_000,
                  stages: ["queue": 21_000_000, "pool": 12_000_000, "cache": 2_000_000, "db": 140_000_000,
                           "encode": 40_000_000, "write": 6_000_000],
                  mean: (1_000_000 * 100 + 1_500_000 * 200) / 300),
            probe("GET /idle", requests: 7, queries: 7, dbNs: 1_000, stages: [:], mean: 10_000),
            // New since `a`: counts from zero.
            probe("POST /b", requests: 50, queries: 100, dbNs: 5_000_000, stages: ["db": 4_000_000], mean: 200_000),
            probe("background", requests: 0, queries: 30, dbNs: 2_000, stages: [:], mean: 0),
        ]
        let v = ServerView(from: a, to: b, seconds: 2)
        #expect(v.routes.map(\.route) == ["GET /a", "POST /b"])   // busiest first; the idle route is left out
        let r = v.routes[0]
        #expect(r.requests == 200)
        #expect(r.requestsPerSecond == 100)
        #expect(r.queriesPerRequest == 21)
        #expect(abs(r.dbNanosecondsPerRequest - 500_000) < 1e-6)
        #expect(abs(r.handlerNanosecondsPerRequest - 1_500_000) < 1e-3)
        // queue 100µs, pool 50µs, cache 10µs, db 500µs, encode 200µs; other = 1500 − 860 = 640µs (write included).
        let expected: [Double] = [100_000, 50_000, 10_000, 500_000, 200_000, 640_000]
        for (got, want) in zip(r.stageNanosecondsPerRequest, expected) { #expect(abs(got - want) < 1e-3) }
        let shares = r.stageShares
        #expect(abs(shares.reduce(0, +) - 1) < 1e-9)
        #expect(abs(shares[3] - 500.0 / 1500) < 1e-9)
        let b2 = v.routes[1]
        #expect(b2.queriesPerRequest == 2 && b2.requestsPerSecond == 25)
        #expect(abs(b2.stageNanosecondsPerRequest[5] - 120_000) < 1e-3)
        let all = try #require(v.all)
        #expect(all.route == "all routes")
        #expect(all.requests == 250 && all.requestsPerSecond == 125)
        #expect(abs(all.queriesPerRequest - 4_300.0 / 250) < 1e-9)
        #expect(abs(all.dbNanosecondsPerRequest - 105_000_000.0 / 250) < 1e-6)
        #expect(abs(all.handlerNanosecondsPerRequest - (300_000_000.0 + 10_000_000) / 250) < 1e-3)
        #expect(v.backgroundQueriesPerSecond == 10)
    }

    @Test func measuredStagesAboveTheHandlerMeanLeaveNoNegativeOther() {
        var b = BackendSnapshot()
        b.routes = [probe("GET /x", requests: 10, queries: 10, dbNs: 0, stages: ["db": 2_000_000], mean: 100_000)]
        let r = ServerView(from: nil, to: b, seconds: 1).routes[0]
        #expect(r.stageNanosecondsPerRequest[5] == 0)
        #expect(r.handlerNanosecondsPerRequest == 200_000)
    }

    @Test func aRestartedBackendCountsAnew() {
        var a = BackendSnapshot(), b = BackendSnapshot()
        a.routes = [probe("GET /x", requests: 1_000, queries: 1_000, dbNs: 0, stages: [:], mean: 1_000)]
        b.routes = [probe("GET /x", requests: 10, queries: 30, dbNs: 0, stages: [:], mean: 1_000)]
        let r = ServerView(from: a, to: b, seconds: 1).routes[0]
        #expect(r.requests == 10 && r.queriesPerRequest == 3)
    }

    @Test func modelKeepsTheLastSecondsServerView() throws {
        let m = Fixtures.model(ticks: 25, serverRoutes: true)
        let v = try #require(m.serverSecond)
        #expect(v.routes.map(\.route) == ["GET /api/articles", "GET /api/articles/:slug", "GET /api/tags", "POST /api/users/login"])
        let articles = v.routes[0]
        #expect(abs(articles.requestsPerSecond - 500) < 1e-6)
        #expect(abs(articles.queriesPerRequest - 21) < 1e-9)
        #expect(abs(articles.dbNanosecondsPerRequest - 880_000) < 1e-3)
        #expect(abs(articles.stageNanosecondsPerRequest[5] - 195_000) < 1)
        let all = try #require(v.all)
        #expect(abs(all.requestsPerSecond - 1_400) < 1e-6)
        #expect(abs(all.queriesPerRequest - 1_220.0 / 140) < 1e-9)
        #expect(abs(v.backgroundQueriesPerSecond - 40) < 1e-6)
        var cleared = m
        _ = cleared.handle(.character("r"), knobs: nil)
        #expect(cleared.serverSecond == nil)
    }

    @Test func vTogglesTheRoutesViewAndIsReserved() {
        var m = Fixtures.model(ticks: 25, serverRoutes: true)
        #expect(m.routesView == .client)
        #expect(m.handle(.character("v"), knobs: Fixtures.registry()).isEmpty)
        #expect(m.routesView == .server)
        #expect(m.flash?.contains("server view") == true)
        _ = m.handle(.character("v"), knobs: nil)
        #expect(m.routesView == .client)
        #expect(ConsoleKeys.reserved.contains("v"))
        // The demo backend's knob keys stay free.
        for key in "bxcpksBXCPKS" { #expect(!ConsoleKeys.reserved.contains(key), "\(key) is a knob key") }
        #expect(ConsoleKeys.help.contains { $0.0 == "v" })
    }

    @Test func stackedBarCellsAddUpToTheWidth() {
        #expect(ServerRoutesPanel.cellCounts([0.5, 0.25, 0.25, 0, 0, 0], width: 8) == [4, 2, 2, 0, 0, 0])
        #expect(ServerRoutesPanel.cellCounts([1, 1, 1, 0, 0, 0], width: 10).reduce(0, +) == 10)
        #expect(ServerRoutesPanel.cellCounts([0, 0, 0, 0, 0, 0], width: 10) == [0, 0, 0, 0, 0, 0])
    }
}
