import Testing
@testable import LoadGenerator

private func catalog(_ routes: [RoutePlan], values: [String: ValueList] = [:],
                     session: SessionPlan? = nil, sessions: [SessionValues] = [],
                     target: TargetAddress = TargetAddress(host: "127.0.0.1", port: 8080)) throws -> RequestCatalog {
    let plan = LoadPlan(target: target, model: .closed(users: 1, thinkTime: .zero), routes: routes, values: values,
                        session: session, threads: 1, runID: "r1")
    return try Preparation.compile(plan, values: values, sessions: sessions)
}

private func render(_ catalog: RequestCatalog, route: Int = 0, vu: Int = 0, renderer: inout RequestRenderer) -> String {
    var buffer: [UInt8] = []
    renderer.render(route: route, vu: vu, session: vu, into: &buffer)
    return String(decoding: buffer, as: UTF8.self)
}

@Suite struct RequestTemplateTests {
    @Test func staticRouteIsPreRenderedWhole() throws {
        let c = try catalog([RoutePlan(name: "tags", path: "/api/tags", headers: [("Accept", "application/json")])],
                            target: TargetAddress(host: "localhost", port: 8080, basePath: "/v1"))
        #expect(c.routes[0].staticBytes != nil)
        var r = RequestRenderer(catalog: c, seed: 1, lane: 0, lanes: 1)
        #expect(render(c, renderer: &r)
            == "GET /v1/api/tags HTTP/1.1\r\nHost: localhost:8080\r\nAccept: application/json\r\n\r\n")
    }

    @Test func slotsAreEncodedForTheirContextAndContentLengthIsComputed() throws {
        let values = ["slug": ValueList(["a b/c"]), "title": ValueList(["say \"hi\""])]
        let route = RoutePlan(name: "post", method: "POST", path: "/api/articles/{{slug}}/comments?n={{seq}}",
                              headers: [("X-Title", "{{title}}")], body: "{\"body\":\"{{title}} #{{random(5,5)}}\"}")
        let c = try catalog([route], values: values)
        #expect(c.routes[0].staticBytes == nil)
        var r = RequestRenderer(catalog: c, seed: 1, lane: 0, lanes: 1)
        let body = "{\"body\":\"say \\\"hi\\\" #5\"}"
        #expect(render(c, renderer: &r) == "POST /api/articles/a%20b%2Fc/comments?n=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            + "X-Title: say \"hi\"\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(render(c, renderer: &r).contains("?n=2 "))
    }

    @Test func sequenceNumbersAreUniqueAcrossLanes() throws {
        let c = try catalog([RoutePlan(name: "s", path: "/{{seq}}")])
        var seen = Set<String>()
        for lane in 0..<3 {
            var r = RequestRenderer(catalog: c, seed: 1, lane: lane, lanes: 3)
            for _ in 0..<50 { seen.insert(render(c, renderer: &r)) }
        }
        #expect(seen.count == 150)
    }

    @Test func vuRunAndSessionVariablesAreSubstituted() throws {
        let session = SessionPlan(setup: RoutePlan(name: "setup", method: "POST", path: "/api/users"),
                                  extract: [("token", "user.token")])
        let sessions = [SessionValues(variables: [EncodedValue("t0")]), SessionValues(variables: [EncodedValue("t1")])]
        let route = RoutePlan(name: "feed", path: "/api/feed/{{vu}}/{{run}}", headers: [("Authorization", "Token {{token}}")])
        let c = try catalog([route], session: session, sessions: sessions)
        #expect(c.routes[0].usesSession)
        var r = RequestRenderer(catalog: c, seed: 1, lane: 0, lanes: 1)
        let text = render(c, vu: 3, renderer: &r)
        #expect(text.hasPrefix("GET /api/feed/3/r1 HTTP/1.1\r\n"))
        #expect(text.contains("Authorization: Token t1\r\n"))
    }

    @Test func unknownVariablesAndBadTemplatesAreClearErrors() {
        #expect(throws: LoadPlanError.self) { _ = try catalog([RoutePlan(name: "x", path: "/{{nope}}")]) }
        #expect(throws: LoadPlanError.self) { _ = try catalog([RoutePlan(name: "x", path: "/{{seq")]) }
        #expect(throws: LoadPlanError.self) { _ = try catalog([RoutePlan(name: "x", path: "/{{random(5,1)}}")]) }
        #expect(throws: LoadPlanError.self) { _ = try catalog([RoutePlan(name: "x", path: "no-slash")]) }
        do {
            _ = try catalog([RoutePlan(name: "get article", path: "/a/{{slug}}")])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("get article") && "\(error)".contains("{{slug}}"))
        }
    }

    @Test func zipfMakesAFewValuesHotAndIsDeterministic() throws {
        let values = (1...100).map { "v\($0)" }
        let c = try catalog([RoutePlan(name: "z", path: "/{{v}}")], values: ["v": ValueList(values, distribution: .zipf(s: 1.2))])
        func counts(seed: UInt64) -> [String: Int] {
            var r = RequestRenderer(catalog: c, seed: seed, lane: 0, lanes: 1)
            var counts: [String: Int] = [:]
            for _ in 0..<10_000 { counts[render(c, renderer: &r), default: 0] += 1 }
            return counts
        }
        let first = counts(seed: 42)
        #expect(first == counts(seed: 42))                     // same seed, same sequence
        let ranked = first.values.sorted(by: >)
        let top5 = ranked.prefix(5).reduce(0, +)
        #expect(top5 > 5_000)                                    // 5% of the values get over half the requests
        let hottest = first.max { $0.value < $1.value }!.key
        #expect(hottest.hasPrefix("GET /v1 "))                  // rank 1 is the first value
        // Uniform for contrast: no value gets more than a few percent.
        let u = try catalog([RoutePlan(name: "u", path: "/{{v}}")], values: ["v": ValueList(values)])
        var r = RequestRenderer(catalog: u, seed: 42, lane: 0, lanes: 1)
        var uniform: [String: Int] = [:]
        for _ in 0..<10_000 { uniform[render(u, renderer: &r), default: 0] += 1 }
        #expect(uniform.values.max()! < 300)
    }

    @Test func weightedMixFollowsTheWeights() throws {
        let c = try catalog([RoutePlan(name: "a", weight: 9, path: "/a"), RoutePlan(name: "b", weight: 1, path: "/b")])
        var r = RequestRenderer(catalog: c, seed: 7, lane: 0, lanes: 1)
        var counts = [0, 0]
        for _ in 0..<10_000 { counts[r.nextRoute()] += 1 }
        #expect(counts[0] > 8_500 && counts[1] > 700)
    }
}

@Suite struct ValueExtractorTests {
    let json = Array("""
        {"tags":["a","b"],"articlesCount":2,"articles":[
          {"slug":"s1","favorited":true,"author":{"username":"u1"}},
          {"slug":"s2","favorited":false,"author":{"username":"u2"},"count":3}]}
        """.utf8)

    @Test func pathsExtractStringsNumbersAndBooleans() throws {
        #expect(try ValueExtractor("tags[]").values(in: json) == ["a", "b"])
        #expect(try ValueExtractor("articles[].slug").values(in: json) == ["s1", "s2"])
        #expect(try ValueExtractor("articles[].author.username").values(in: json) == ["u1", "u2"])
        #expect(try ValueExtractor("articles[].favorited").values(in: json) == ["true", "false"])
        #expect(try ValueExtractor("articlesCount").values(in: json) == ["2"])
        #expect(try ValueExtractor("articles[].count").values(in: json) == ["3"])
        #expect(try ValueExtractor("missing.path").values(in: json).isEmpty)
        #expect(try ValueExtractor("[]").values(in: Array("[1,\"x\"]".utf8)) == ["1", "x"])
    }

    @Test func malformedPathsAndNonJSONAreErrors() {
        #expect(throws: LoadPlanError.self) { _ = try ValueExtractor("") }
        #expect(throws: LoadPlanError.self) { _ = try ValueExtractor("a..b") }
        #expect(throws: LoadPlanError.self) { _ = try ValueExtractor("a[0]") }
        #expect(throws: LoadPlanError.self) { _ = try ValueExtractor("a").values(in: Array("<html>".utf8)) }
    }
}
