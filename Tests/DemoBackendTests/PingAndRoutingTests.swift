@testable import DemoBackend
import HTTP
import Testing

@Suite("Ping route and path segments")
struct PingAndRoutingTests {
    @Test func pingAnswersPongWithADateAndIsCountedUnderItsRoute() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let response = try api.request("GET", "/debug/ping")
        #expect(response.status == 200)
        #expect(response.body == Array("pong\n".utf8))
        #expect(response.header("Date")?.hasSuffix(" GMT") == true)
        #expect(try api.request("POST", "/debug/ping").status == 405)
        #expect(api.backend.metrics[.ping].requests == 1)
    }

    @Test func routerSplitsPathsWithoutLosingSegments() {
        #expect(Router.match(method: "GET", path: "/debug/ping").route == .ping)
        #expect(Router.match(method: "GET", path: "/api/tags/").route == .tags)
        let comment = Router.match(method: "DELETE", path: "/api/articles/a-slug/comments/7")
        #expect(comment == RouteMatch(route: .deleteComment, parameter: "a-slug", secondParameter: "7"))
        // One segment more than the longest route, and an empty slug.
        #expect(Router.match(method: "DELETE", path: "/api/articles/a-slug/comments/7/x").route == .unmatched)
        #expect(Router.match(method: "GET", path: "/api/articles//comments").route == .unmatched)
        #expect(PathSegments("/a/b/c/d/e/f") == nil)
        #expect(PathSegments("/a/b/c/d/e")?[5] == "e")
        #expect(PathSegments("/a")?[3] == "")
    }

    @Test func queryItemsDecodeInOrderInOnePass() {
        let request = HTTPRequest(method: "GET", target: "/api/articles?tag=a+b&&limit=5&tag=%C3%A9&flag")
        #expect(request.queryItems().map { "\($0.name)=\($0.value)" } == ["tag=a b", "limit=5", "tag=é", "flag="])
        let query = try? ConduitAPI.listQuery(request)
        #expect(query?.tag == "é" && query?.limit == 5)
        #expect(throws: APIError.self) { try ConduitAPI.listQuery(HTTPRequest(method: "GET", target: "/api/articles?limit=0")) }
    }
}
