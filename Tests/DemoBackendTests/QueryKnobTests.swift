@testable import DemoBackend
import Testing

@Suite("query knob: n+1 vs batched")
struct QueryKnobTests {
    @Test func bothStrategiesGiveTheSameResponses() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let reader = try api.register("zz-q-reader")
        let writer = try api.register("zz-q-writer")
        let slug = try api.createArticle(token: writer, title: "Compare me", tags: ["zz-b", "zz-a"])
        _ = try api.request("POST", "/api/articles/\(slug)/favorite", token: reader)
        _ = try api.request("POST", "/api/profiles/zz-q-writer/follow", token: reader)
        // Seeded authors too, so feed pages merge several followees' articles (and offsets cut across them).
        let authors = try api.request("GET", "/api/articles?limit=40").json?["articles"]?.arrayValue?
            .compactMap { $0["author"]?["username"]?.stringValue } ?? []
        for author in Set(authors).sorted().prefix(3) {
            #expect(try api.request("POST", "/api/profiles/\(author)/follow", token: reader).status == 200)
        }
        _ = try api.request("POST", "/api/articles/\(slug)/comments", body: #"{"comment":{"body":"first"}}"#, token: reader)
        _ = try api.request("POST", "/api/articles/\(slug)/comments", body: #"{"comment":{"body":"second"}}"#, token: writer)
        let requests: [(String, String?)] = [
            ("/api/articles", nil), ("/api/articles?limit=7&offset=3", nil), ("/api/articles", reader),
            ("/api/articles?tag=zz-a", reader), ("/api/articles?author=zz-q-writer", nil),
            ("/api/articles?favorited=zz-q-reader", reader), ("/api/articles/feed", reader),
            ("/api/articles/feed?limit=7&offset=3", reader), ("/api/articles/feed?limit=50&offset=5", reader),
            ("/api/articles/\(slug)/comments", nil), ("/api/articles/\(slug)/comments", reader),
        ]
        func responses() throws -> [String] {
            try requests.map { target, token in
                let r = try api.request("GET", target, token: token)
                #expect(r.status == 200, "\(target)")
                return r.text
            }
        }
        #expect(api.knobs["query"]?.value == "batched")
        let batched = try responses()
        try api.knobs.set(["query": "n+1"], source: "test")
        let nPlusOne = try responses()
        for (i, (a, b)) in zip(batched, nPlusOne).enumerated() {
            #expect(a == b, "\(requests[i].0)")
        }
    }

    @Test func nPlusOneRunsQueriesPerArticle() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let metrics = api.backend.metrics[.listArticles]
        func queries(limit: Int) throws -> UInt64 {
            let before = metrics.dbQueries.value
            #expect(try api.request("GET", "/api/articles?limit=\(limit)").status == 200)
            return metrics.dbQueries.value - before
        }
        let batched = try queries(limit: 20)
        try api.knobs.set(["query": "n+1"], source: "test")
        let naive10 = try queries(limit: 10)
        let naive20 = try queries(limit: 20)
        #expect(naive20 > naive10)          // grows with the page
        #expect(naive20 >= 20 * 4)          // row, author, favorites count, tags per article
        #expect(naive20 >= 10 * batched)
    }
}
