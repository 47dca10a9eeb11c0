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
}
