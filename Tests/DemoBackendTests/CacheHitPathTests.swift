@testable import DemoBackend
import HTTP
import Metrics
import Testing

/// Cache hits are answered from stored bytes (`ConduitAPI.cachedResponse`, on the event loop): the same bytes the
/// full path sends, only for anonymous reads, and fresh after writes.
@Suite("Cache: hits served as stored bytes")
struct CacheHitPathTests {
    @Test func hitsAreTheSameBytesAsTheFullPathAndOnlyForAnonymousReads() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        try api.knobs.set(["cache": "on", "serving": "offloaded"], source: "test")
        let reader = try api.register("zz-h-reader")
        let slug = try api.request("GET", "/api/articles?limit=1").json?["articles"]?[0]?["slug"]?.stringValue ?? ""
        let targets = ["/api/articles/\(slug)", "/api/articles/\(slug)/comments", "/api/tags", "/api/articles?limit=5",
                       "/api/articles?tag=\(try api.request("GET", "/api/tags").json?["tags"]?[0]?.stringValue ?? "")"]
        let backend = api.backend
        for target in targets {
            let request = HTTPRequest(method: "GET", target: target)
            let full = try api.request("GET", target)   // a miss: loads and stores
            #expect(full.status == 200)
            let hit = try #require(backend.api.cachedResponse(request, receivedAt: MonotonicClock.nanoseconds()), "\(target)")
            #expect(hit.body == full.body, "\(target)")
            #expect(try api.request("GET", target).body == full.body)
            // A viewer's read never comes from the shared bytes (following/favorited are per viewer).
            var withToken = request
            withToken.headers.add(name: "Authorization", value: "Token \(reader)")
            #expect(backend.api.cachedResponse(withToken, receivedAt: MonotonicClock.nanoseconds()) == nil)
        }
        // After a favorite the stored bytes show the new count at once.
        #expect(try api.request("POST", "/api/articles/\(slug)/favorite", token: reader).status == 200)
        let request = HTTPRequest(method: "GET", target: "/api/articles/\(slug)")
        let hit = try #require(backend.api.cachedResponse(request, receivedAt: MonotonicClock.nanoseconds()))
        var context = cacheTestContext()
        let truth = try backend.store.base.article(slug: slug, viewerID: nil, &context)
        #expect(hit.body == ConduitEncoding.article(truth))
        // Turned off: nothing is served from it.
        try api.knobs.set(["cache": "off"], source: "test")
        #expect(backend.api.cachedResponse(request, receivedAt: MonotonicClock.nanoseconds()) == nil)
    }

    /// compression=gzip: a hit that accepts gzip gets the entry's stored gzip variant (made once, on the first such
    /// hit), which inflates to the identity body; a write replaces both variants together, so neither is stale.
    @Test func gzipHitsServeTheStoredVariantAndAWriteRefreshesBoth() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        try api.knobs.set(["cache": "on", "serving": "offloaded", "compression": "gzip"], source: "test")
        let reader = try api.register("zz-g-reader")
        let target = "/api/articles?limit=20"
        let slug = try api.request("GET", target).json?["articles"]?[0]?["slug"]?.stringValue ?? ""   // a miss: loads
        let backend = api.backend
        let key = ConduitCacheKey.articles(.init(ArticleQuery(limit: 20)))
        let plainRequest = HTTPRequest(method: "GET", target: target)
        var gzipRequest = plainRequest
        gzipRequest.headers.add(name: "Accept-Encoding", value: "gzip")
        func hit(_ request: HTTPRequest) throws -> HTTPResponse {
            try #require(backend.api.cachedResponse(request, receivedAt: MonotonicClock.nanoseconds()))
        }

        let bodies = try #require(backend.store.cachedBodies(for: key))
        #expect(bodies.made.gzip == false)
        let plain = try hit(plainRequest)
        #expect(plain.headers["Content-Encoding"] == nil)
        let gzipped = try hit(gzipRequest)
        #expect(gzipped.headers["Content-Encoding"] == "gzip")
        #expect(gzipped.headers["Vary"] == "Accept-Encoding")
        #expect(try Gzip.decompress(gzipped.body) == plain.body)
        #expect(bodies.made.gzip)
        #expect(try hit(gzipRequest).body == gzipped.body)

        // A favorite of an article on the page rewrites the entry: new bodies, made again on their first hit.
        #expect(try api.request("POST", "/api/articles/\(slug)/favorite", token: reader).status == 200)
        let rewritten = try #require(backend.store.cachedBodies(for: key))
        #expect(rewritten !== bodies)
        #expect(rewritten.made == (identity: false, gzip: false))
        var context = cacheTestContext(.listArticles)
        let truth = ConduitEncoding.articles(try backend.store.base.articles(ArticleQuery(limit: 20), viewerID: nil, &context))
        let gzippedAfter = try hit(gzipRequest)
        #expect(try Gzip.decompress(gzippedAfter.body) == truth)
        #expect(try hit(plainRequest).body == truth)
        #expect(truth != plain.body)
    }
}
