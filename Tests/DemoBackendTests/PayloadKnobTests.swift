@testable import DemoBackend
import HTTP
import Testing

/// The payload knobs end to end over HTTP: `encoding`, `compression`, `paging` (its list cap here; the streamed
/// export in ExportStreamTests).
@Suite struct PayloadKnobTests {
    /// Every GET route, read with both encodings: equal parsed values.
    @Test func bothEncodingsAnswerEveryReadRouteWithEqualValues() throws {
        let api = try APITestBackend()
        try api.knobs.set(["paging": "unbounded"], source: "test")   // whole exports (the streamed one: ExportStreamTests)
        let token = try api.register("enc-user")
        let slug = try api.createArticle(token: token, title: "Encoded twice", tags: ["enc"])
        _ = try api.request("POST", "/api/articles/\(slug)/comments", body: #"{"comment":{"body":"c/1 \"q\""}}"#, token: token)
        try api.request("POST", "/api/articles/\(slug)/favorite", token: token)
        let author = try #require(api.request("GET", "/api/articles?limit=1").json?["articles"]?[0]?["author"]?["username"]?.stringValue)
        let reads: [(String, String?)] = [
            ("/api/articles?limit=30", nil), ("/api/articles?tag=enc", token), ("/api/articles?author=enc-user", nil),
            ("/api/articles?favorited=enc-user", nil), ("/api/articles/feed", token), ("/api/articles/\(slug)", token),
            ("/api/articles/\(slug)/comments", nil), ("/api/profiles/\(author)", token), ("/api/tags", nil),
            ("/api/user", token), ("/api/export?tag=enc", nil), ("/api/export?author=\(author)", token),
        ]
        var direct: [JSONValue] = []
        for (target, t) in reads {
            let r = try api.request("GET", target, token: t)
            #expect(r.status == 200, "\(target)")
            direct.append(try #require(r.json, "\(target)"))
        }
        try api.knobs.set(["encoding": "foundation"], source: "test")
        for (i, (target, t)) in reads.enumerated() {
            let r = try api.request("GET", target, token: t)
            let foundation = try #require(r.json, "\(target)")
            #expect(foundation.sameValue(as: direct[i]), "\(target)")
        }
    }

    /// Write routes under `foundation` (JSONDecoder reads the body, JSONEncoder writes the answer) answer what a
    /// `direct` read of the same entity says.
    @Test func writeRoutesUnderFoundationMatchDirectReads() throws {
        let api = try APITestBackend()
        try api.knobs.set(["encoding": "foundation"], source: "test")
        let register = try api.request("POST", "/api/users",
                                       body: #"{"user":{"username":"fnd","email":"fnd@x.test","password":"pw-secret"}}"#)
        #expect(register.status == 201)
        let token = try #require(register.json?["user"]?["token"]?.stringValue)
        let updated = try api.request("PUT", "/api/user", body: #"{"user":{"bio":"new bio"}}"#, token: token)
        let created = try api.request("POST", "/api/articles", body: """
            {"article":{"title":"Via Foundation","description":"d","body":"b \\u00e9","tagList":["f1","f2"]}}
            """, token: token)
        #expect(created.status == 201)
        let slug = try #require(created.json?["article"]?["slug"]?.stringValue)
        let comment = try api.request("POST", "/api/articles/\(slug)/comments", body: #"{"comment":{"body":"hi"}}"#, token: token)
        let favorite = try api.request("POST", "/api/articles/\(slug)/favorite", token: token)
        #expect(try api.request("POST", "/api/users", body: #"{"user":"#).status == 422)
        try api.knobs.set(["encoding": "direct"], source: "test")
        let article = try #require(api.request("GET", "/api/articles/\(slug)", token: token).json)
        #expect(try #require(favorite.json).sameValue(as: article), "\(favorite.text)")
        #expect(article["article"]?["body"]?.stringValue == "b é")
        var beforeFavorite = try #require(created.json)
        if case .object(var outer) = beforeFavorite, case .object(var inner)? = outer.first?.1 {
            inner = inner.filter { !["favorited", "favoritesCount", "updatedAt"].contains($0.0) }
            outer[0].1 = .object(inner)
            beforeFavorite = .object(outer)
        }
        #expect(beforeFavorite["article"]?["tagList"] == article["article"]?["tagList"])
        let comments = try #require(api.request("GET", "/api/articles/\(slug)/comments").json)
        #expect(comments["comments"]?[0]?.sameValue(as: try #require(comment.json?["comment"])) == true)
        let user = try #require(api.request("GET", "/api/user", token: token).json)
        #expect(try #require(updated.json).sameValue(as: user))
    }

    @Test func gzipBodiesDecompressToTheSameJSON() throws {
        let api = try APITestBackend()
        let plain = try api.request("GET", "/api/articles?limit=20")
        #expect(plain.header("Content-Encoding") == nil)
        try api.knobs.set(["compression": "gzip"], source: "test")
        let gzipped = try api.request("GET", "/api/articles?limit=20", headers: [("Accept-Encoding", "gzip, deflate")])
        #expect(gzipped.header("Content-Encoding") == "gzip")
        #expect(gzipped.header("Vary") == "Accept-Encoding")
        #expect(gzipped.body.count < plain.body.count / 2)
        let decoded = try JSONParser.parse(Gzip.decompress(gzipped.body))
        #expect(decoded.sameValue(as: try #require(plain.json)))
        // Not accepted by the client: plain body, still Vary.
        let refused = try api.request("GET", "/api/articles?limit=20", headers: [("Accept-Encoding", "gzip;q=0")])
        #expect(refused.header("Content-Encoding") == nil)
        #expect(refused.header("Vary") == "Accept-Encoding")
        #expect(refused.body == plain.body)
        // Below the 1 KiB threshold: as it is.
        let small = try api.request("GET", "/api/articles?limit=1", headers: [("Accept-Encoding", "gzip")])
        #expect(small.body.count < ResponseCompression.thresholdBytes)
        #expect(small.header("Content-Encoding") == nil)
        let probe = try #require(api.backend.probe().compression)
        #expect(probe.mode == .gzip)
        #expect(probe.compressedResponses == 1)
        #expect(probe.ratio > 0 && probe.ratio < 0.5)
    }

    @Test func boundedPagingCapsTheLimitAndSaysSo() throws {
        let api = try APITestBackend()
        let bounded = try api.request("GET", "/api/articles?limit=100000")
        #expect(bounded.status == 200)
        #expect(bounded.header("X-Limit-Cap") == String(ArticleQuery.maxLimit))
        let total = try #require(bounded.json?["articlesCount"]?.intValue)
        #expect(total > ArticleQuery.maxLimit)   // the test data has more articles than the cap
        #expect(bounded.json?["articles"]?.count == ArticleQuery.maxLimit)
        try api.knobs.set(["paging": "unbounded"], source: "test")
        let unbounded = try api.request("GET", "/api/articles?limit=100000")
        #expect(unbounded.header("X-Limit-Cap") == nil)
        #expect(unbounded.json?["articles"]?.count == total)
        let probe = try #require(api.backend.probe().paging)
        #expect(probe.mode == .unbounded)
        #expect(probe.peakRowsPerRequest == total)
        #expect(try api.request("GET", "/api/articles?limit=0").status == 422)
        #expect(try api.request("GET", "/api/export").status == 422)
        #expect(try api.request("GET", "/api/export?tag=a&author=b").status == 422)
    }

    @Test func memoAnswersConditionalRepeatsUntilAWriteAndTheUnboundedOneKeepsEverything() throws {
        let api = try APITestBackend()
        let first = try api.request("GET", "/api/articles?limit=3")
        let etag = try #require(first.header("ETag"))
        let again = try api.request("GET", "/api/articles?limit=3", headers: [("If-None-Match", etag)])
        #expect(again.status == 304)
        #expect(again.header("ETag") == etag)
        var memory = try #require(api.backend.probe().memory)
        #expect(memory.mode == .bounded)
        #expect(memory.memoHits == 1)
        let token = try api.register("memo-writer")
        _ = try api.createArticle(token: token, title: "Newest")
        let after = try api.request("GET", "/api/articles?limit=3", headers: [("If-None-Match", etag)])
        #expect(after.status == 200)   // never stale
        #expect(after.json?["articles"]?[0]?["title"]?.stringValue == "Newest")
        try api.knobs.set(["memory": "unbounded"], source: "test")
        for offset in 0..<20 { try api.request("GET", "/api/articles?limit=2&offset=\(offset)") }
        memory = try #require(api.backend.probe().memory)
        #expect(memory.mode == .unbounded)
        #expect(memory.memoEntries >= 20)
        #expect(memory.rssAnonBytes > 0 && memory.heapInUseBytes > 0)
        try api.knobs.set(["memory": "bounded"], source: "test")
        #expect(try #require(api.backend.probe().memory).memoEntries == 0)
    }
}
