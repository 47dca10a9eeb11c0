import Testing
@testable import HTTP

@Suite("HTTP shared types")
struct ServerSharedTypesTests {
    @Test func headersKeepOrderAndLookUpCaseInsensitively() {
        var headers = HTTPHeaders([("Set-Cookie", "a=1"), ("Content-Type", "text/plain")])
        headers.add(name: "set-cookie", value: "b=2")
        #expect(headers["SET-COOKIE"] == "a=1")
        #expect(headers.values("Set-Cookie") == ["a=1", "b=2"])
        #expect(headers.map(\.name) == ["Set-Cookie", "Content-Type", "set-cookie"])
        headers.replaceOrAdd(name: "Set-Cookie", value: "c=3")
        #expect(headers.values("set-cookie") == ["c=3"])
        headers.replaceOrAdd(name: "X-New", value: "1")
        #expect(headers["x-new"] == "1")
        #expect(headers["missing"] == nil)
        #expect(HTTPHeaders([("Connection", "Upgrade, Close")]).containsToken("close", in: "connection"))
    }

    @Test func requestSplitsAndDecodesTarget() {
        let request = HTTPRequest(method: "GET", target: "/a%2Fb/c%C3%A9?q=caf%C3%A9+au+lait&flag&x=1%2B1&bad=%zz")
        #expect(request.path == "/a/b/cé")
        #expect(request.query == "q=caf%C3%A9+au+lait&flag&x=1%2B1&bad=%zz")
        let items = request.queryItems()
        #expect(items.map(\.name) == ["q", "flag", "x", "bad"])
        #expect(items.map(\.value) == ["café au lait", "", "1+1", "%zz"])
        #expect(request.queryValue("x") == "1+1")
        #expect(request.keepAlive)

        let absolute = HTTPRequest(method: "GET", target: "http://example.com/p?x=1")
        #expect(absolute.path == "/p")
        #expect(absolute.query == "x=1")
        #expect(HTTPRequest(method: "GET", target: "/", headers: ["Connection": "close"]).keepAlive == false)
    }

    @Test func reasonPhrases() {
        #expect(HTTPResponse.reasonPhrase(200) == "OK")
        #expect(HTTPResponse.reasonPhrase(431) == "Request Header Fields Too Large")
        #expect(HTTPResponse.reasonPhrase(799) == "Unknown")
    }

    @Test func encoderFramesResponsesItself() {
        var out: [UInt8] = []
        let response = HTTPResponse(status: 201, headers: ["Content-Length": "999", "X-A": "b"], body: Array("hey".utf8))
        ServerResponseEncoder.encode(response, into: &out, omitBody: false, close: true, keepAliveHeader: false)
        #expect(String(decoding: out, as: UTF8.self)
            == "HTTP/1.1 201 Created\r\nX-A: b\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhey")
        out.removeAll()
        ServerResponseEncoder.encode(HTTPResponse(status: 204), into: &out, omitBody: false, close: false,
                                     keepAliveHeader: true)
        #expect(String(decoding: out, as: UTF8.self) == "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n")
    }
}
