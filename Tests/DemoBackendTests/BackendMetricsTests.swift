@testable import DemoBackend
import Knobs
import Metrics
import Testing
import TestSupport

@Suite("Backend /metrics, /debug/knobs and probe")
struct BackendMetricsTests {
    /// The value of the sample line that starts with `prefix` (name and labels), nil when absent.
    static func sample(_ text: String, _ prefix: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(prefix + " ") {
            return Double(line.dropFirst(prefix.count + 1))
        }
        return nil
    }

    @Test func metricsCountRequestsByRouteTemplateAndStatus() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        for _ in 0..<3 { #expect(try api.request("GET", "/api/tags").status == 200) }
        #expect(try api.request("GET", "/api/articles/no-such-slug").status == 404)
        #expect(try api.request("GET", "/api/articles/another-missing").status == 404)
        let r = try api.request("GET", "/metrics")
        #expect(r.status == 200)
        #expect(r.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = r.text
        #expect(Self.sample(text, #"dyno_http_requests_total{route="GET /api/tags",status="200"}"#) == 3)
        // Route labels are templates, never raw paths.
        #expect(Self.sample(text, #"dyno_http_requests_total{route="GET /api/articles/:slug",status="404"}"#) == 2)
        #expect(!text.contains("no-such-slug"))
        let queries = try #require(Self.sample(text, #"dyno_db_queries_total{route="GET /api/tags"}"#))
        #expect(queries >= 3)
        #expect(Self.sample(text, #"dyno_http_request_duration_seconds_count{route="GET /api/tags"}"#) == 3)
        #expect(Self.sample(text, #"dyno_http_request_duration_seconds_bucket{route="GET /api/tags",le="+Inf"}"#) == 3)
        #expect(Self.sample(text, #"dyno_db_query_duration_seconds_count{route="GET /api/tags"}"#) == queries)
        #expect(text.contains("# TYPE dyno_http_request_duration_seconds histogram"))
        #expect(Self.sample(text, #"dyno_knob{knob="cache",value="off"}"#) == 1)
        // Pool probes: every request above acquired a connection, none is held now.
        #expect(Self.sample(text, "dyno_pool_in_use") == 0)
        #expect((Self.sample(text, "dyno_pool_acquires_total") ?? 0) >= 5)
        #expect(Self.sample(text, "dyno_pool_acquire_seconds_count") == Self.sample(text, "dyno_pool_acquires_total"))
        #expect(Self.sample(text, "dyno_pool_timeouts_total") == 0)
        #expect(text.contains("# TYPE dyno_pool_acquire_seconds summary"))
        // Buckets are cumulative.
        var last = -1.0
        for line in text.split(separator: "\n") where line.hasPrefix(#"dyno_http_request_duration_seconds_bucket{route="GET /api/tags""#) {
            let v = Double(line.split(separator: " ").last!)!
            #expect(v >= last)
            last = v
        }
    }

    @Test func listRequestUsesAFixedNumberOfQueries() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let metrics = api.backend.metrics[.listArticles]
        _ = try api.request("GET", "/api/articles?limit=5")
        let small = metrics.dbQueries.value
        _ = try api.request("GET", "/api/articles?limit=100")
        let large = metrics.dbQueries.value - small
        #expect(small > 0)
        #expect(small == large)   // batched: independent of the page size
        #expect(small <= 5)       // BEGIN, count, page, tags, COMMIT
    }

    @Test func debugKnobsGetAndPut() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let state = try api.request("GET", "/debug/knobs")
        #expect(state.status == 200)
        #expect(state.json?.keys == KnobUnits.definitions.map(\.id))
        #expect(state.json?["cache"]?["value"]?.stringValue == "off")
        #expect(state.json?["cache"]?["allowed"]?.stringValue == "off|on")
        #expect(state.json?["pool_size"]?["allowed"]?.stringValue == "1..64")

        let set = try api.request("PUT", "/debug/knobs", body: #"{"cache":"on","pool_size":4}"#)
        #expect(set.status == 200)
        #expect(set.json?["cache"]?["value"]?.stringValue == "on")
        #expect(set.json?["pool_size"]?["value"]?.stringValue == "4")
        #expect(api.knobs["cache"]?.value == "on")
        #expect(api.backend.probe().pool?.size == 4)

        let badKnob = try api.request("PUT", "/debug/knobs", body: #"{"cache":"off","warp_drive":"on"}"#)
        #expect(badKnob.status == 400)
        #expect(badKnob.json?["errors"]?["warp_drive"] != nil)
        #expect(api.knobs["cache"]?.value == "on")   // all or nothing
        let badValue = try api.request("PUT", "/debug/knobs", body: #"{"pool_size":"1000"}"#)
        #expect(badValue.status == 400)
        #expect(badValue.json?["errors"]?["pool_size"] != nil)
        let badPreset = try api.request("PUT", "/debug/knobs", body: #"{"preset":"turbo"}"#)
        #expect(badPreset.status == 400)
        #expect(badPreset.json?["errors"]?["preset"] != nil)
        #expect(try api.request("PUT", "/debug/knobs", body: "nope").status == 400)

        let naive = try api.request("PUT", "/debug/knobs", body: #"{"preset":"naive"}"#)
        #expect(naive.status == 200)
        let base = ["query", "indexes", "counts", "cache", "pool", "pool_size", "serving", "encoding", "compression",
                    "paging", "memory"]
        #expect(api.knobs.values.filter { base.contains($0.key) } == ["query": "n+1", "indexes": "off", "counts": "computed",
                                                                     "cache": "off", "pool": "per-request", "pool_size": "1",
                                                                     "serving": "blocking", "encoding": "foundation",
                                                                     "compression": "off", "paging": "unbounded",
                                                                     "memory": "unbounded"])
        // The API keeps working per-request while indexes are dropped in the background.
        #expect(try api.request("GET", "/api/articles?limit=3").status == 200)
        #expect(api.backend.probe().pool?.mode == .perRequest)
        let optimized = try api.request("PUT", "/debug/knobs", body: #"{"preset":"optimized"}"#)
        #expect(optimized.json?["indexes"]?["value"]?.stringValue == "on")
        #expect(api.knobs.changes.count >= 3)
        #expect(api.knobs.changes.allSatisfy { $0.source == "http" })
    }

    @Test func probeReportsRoutesPoolAndMemory() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        _ = try api.request("GET", "/api/tags")
        _ = try api.request("GET", "/api/articles")
        let probe = api.backend.probe()
        let routes = Dictionary(uniqueKeysWithValues: probe.routes.map { ($0.route, $0) })
        #expect(routes["GET /api/tags"]?.requests == 1)
        #expect((routes["GET /api/articles"]?.dbQueries ?? 0) > 0)
        #expect(routes["GET /api/articles"]?.stageNanoseconds["db"] ?? 0 > 0)
        #expect(probe.pool?.mode == .pool)
        #expect(probe.pool?.size == 8)
        #expect((probe.pool?.acquires ?? 0) >= 2)
        #expect((probe.rssBytes ?? 0) > 0)
        #expect(probe.serving?.model == .blocking)
    }
}

@Suite("Backend knobs wired to storage")
struct BackendStorageKnobTests {
    /// Whether every secondary index exists, read on a fresh connection.
    static func indexesPresent(_ api: APITestBackend) throws -> Bool {
        let db = try SQLiteConnection(path: api.backend.database.path, readOnly: true)
        defer { db.close() }
        return SecondaryIndexes.present(on: db)
    }

    /// Waits on its thread (not `await`): under the whole suite an awaiting test can wait minutes for a free thread
    /// of the cooperative pool to resume on (this one once took 272 s).
    @Test func indexesKnobDropsAndRebuildsLive() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        #expect(try Self.indexesPresent(api))
        try api.knobs.set(["indexes": "off"], source: "test")
        #expect(try waitUntilBlocking(deadline: .seconds(20)) { try !Self.indexesPresent(api) && api.backend.probe().indexBuildProgress == nil })
        // Still serving, same answers, just slower plans.
        #expect(try api.request("GET", "/api/articles?limit=3").status == 200)
        try api.knobs.set(["indexes": "on"], source: "test")
        #expect(try waitUntilBlocking(deadline: .seconds(20)) { try Self.indexesPresent(api) })
        #expect(try api.request("GET", "/api/tags").status == 200)
        // The builds' statements are counted too, under their own label.
        #expect(api.backend.metrics[.background].dbQueries.value > 0)
        #expect(try api.request("GET", "/metrics").text.contains(#"dyno_db_queries_total{route="background"}"#))
    }

    @Test func poolKnobSwitchesTheConnectionProvider() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        try api.knobs.set(["pool": "per-request"], source: "test")
        #expect(api.backend.probe().pool?.mode == .perRequest)
        let opened = api.backend.provider.probe.openedTotal
        for _ in 0..<3 { #expect(try api.request("GET", "/api/tags").status == 200) }
        #expect(api.backend.provider.probe.openedTotal >= opened + 3)   // a connection per request
        try api.knobs.set(["pool": "pool", "pool_size": "2"], source: "test")
        #expect(api.backend.probe().pool?.size == 2)
        let pooledOpened = api.backend.provider.probe.openedTotal
        for _ in 0..<5 { #expect(try api.request("GET", "/api/tags").status == 200) }
        #expect(api.backend.provider.probe.openedTotal <= pooledOpened + 2)
    }
}

@Suite("Backend cache knob over HTTP")
struct BackendCacheKnobTests {
    @Test func cacheOnServesRepeatedReadsWithoutTheDatabaseAndSeesWrites() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let token = try api.register("zz-cache-writer")
        let slug = try api.createArticle(token: token, title: "Cached article")
        let tagsMetrics = api.backend.metrics[.tags]
        let uncached = try api.request("GET", "/api/tags").text
        try api.knobs.set(["cache": "on"], source: "test")
        #expect(try api.request("GET", "/api/tags").text == uncached)   // miss: loads
        let before = tagsMetrics.dbQueries.value
        for _ in 0..<3 { #expect(try api.request("GET", "/api/tags").text == uncached) }
        #expect(tagsMetrics.dbQueries.value == before)   // hits: no SQL at all
        let probe = try #require(api.backend.probe().cache)
        #expect(probe.enabled)
        #expect(probe.hits >= 3)
        #expect(probe.dbQueriesSaved >= 3)
        #expect(try api.request("GET", "/metrics").text.contains("dyno_cache_hits_total"))

        // A write through the API is visible to the next read.
        _ = try api.createArticle(token: token, title: "New tag", tags: ["zz-fresh-tag"])
        let tags = try api.request("GET", "/api/tags").json?["tags"]?.arrayValue?.compactMap { $0.stringValue } ?? []
        #expect(tags.contains("zz-fresh-tag"))
        #expect(try api.request("GET", "/api/articles/\(slug)").json?["article"]?["favoritesCount"]?.intValue == 0)
        _ = try api.request("POST", "/api/articles/\(slug)/favorite", token: token)
        #expect(try api.request("GET", "/api/articles/\(slug)").json?["article"]?["favoritesCount"]?.intValue == 1)
    }
}
