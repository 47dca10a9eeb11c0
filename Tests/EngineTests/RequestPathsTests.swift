import Testing
@testable import Engine

/// `{{api}}` and the target URL's path: the request path is never doubled nor silently wrong.
struct RequestPathsTests {
    @Test func apiDefaultsToSlashApiAndAURLEndingInItHoldsIt() {
        #expect(RequestPaths(urlPath: "", apiPrefix: nil).resolve("{{api}}/tags") == "/api/tags")
        #expect(RequestPaths(urlPath: "/api", apiPrefix: nil).resolve("{{api}}/tags") == "/api/tags")
        #expect(RequestPaths(urlPath: "/api/", apiPrefix: nil).resolve("{{api}}/tags") == "/api/tags")
        #expect(RequestPaths(urlPath: "/v1/api", apiPrefix: nil).resolve("{{api}}/tags") == "/v1/api/tags")
        #expect(RequestPaths(urlPath: "/v1", apiPrefix: nil).resolve("{{api}}/tags") == "/v1/api/tags")
    }

    @Test func anEmptyPrefixServesAServerWithoutIt() {
        #expect(RequestPaths(urlPath: "", apiPrefix: "").resolve("{{api}}/articles?limit=5") == "/articles?limit=5")
        #expect(RequestPaths(urlPath: "", apiPrefix: "/").resolve("{{api}}/tags") == "/tags")
        #expect(RequestPaths(urlPath: "/api", apiPrefix: "").resolve("{{api}}/tags") == "/api/tags")
        #expect(RequestPaths(urlPath: "", apiPrefix: "conduit").resolve("{{api}}/tags") == "/conduit/tags")
    }

    @Test func literalPathsGetTheURLPathOnceWhateverTheyStartWith() {
        let paths = RequestPaths(urlPath: "/api", apiPrefix: nil)
        #expect(paths.resolve("/api/tags") == "/api/tags")
        #expect(paths.resolve("/tags") == "/api/tags")
        #expect(paths.resolve("/api?x=1") == "/api?x=1")
        #expect(paths.resolve("/apis") == "/api/apis")
        #expect(RequestPaths(urlPath: "", apiPrefix: nil).resolve("/x") == "/x")
    }
}
