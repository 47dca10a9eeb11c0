import Testing
@testable import HTTP

@Suite("ServerRequestParser")
struct RequestParserTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Parses `text` expecting one complete request; returns it and the bytes consumed.
    private func parseOne(_ text: String, parser: inout ServerRequestParser) -> (HTTPRequest, Int)? {
        if case .request(let request, let consumed) = parser.parse(bytes(text)) { return (request, consumed) }
        return nil
    }

    private func status(of text: String, parser: ServerRequestParser = ServerRequestParser()) -> Int? {
        var parser = parser
        if case .error(let status, _) = parser.parse(bytes(text)) { return status }
        return nil
    }

    @Test func parsesValidRequestWithQueryAndHeaders() throws {
        var parser = ServerRequestParser()
        let text = "GET /api/articles%20x?tag=swift+lang&limit=20 HTTP/1.1\r\nHost: a\r\nX-Multi: 1\r\nx-multi:  2 \r\n\r\n"
        let (request, consumed) = try #require(parseOne(text, parser: &parser))
        #expect(consumed == text.utf8.count)
        #expect(request.method == "GET")
        #expect(request.target == "/api/articles%20x?tag=swift+lang&limit=20")
        #expect(request.path == "/api/articles x")
        #expect(request.query == "tag=swift+lang&limit=20")
        #expect(request.queryItems().map(\.name) == ["tag", "limit"])
        #expect(request.queryItems().map(\.value) == ["swift lang", "20"])
        #expect(request.headers["host"] == "a")
        #expect(request.headers.values("X-MULTI") == ["1", "2"])
        #expect(request.keepAlive)
        #expect(request.body.isEmpty)
    }

    @Test func parsesContentLengthBody() throws {
        var parser = ServerRequestParser()
        let (request, _) = try #require(parseOne(
            "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", parser: &parser))
        #expect(request.body == bytes("hello"))
    }

    @Test func parsesSeveralPipelinedRequestsFromOneBuffer() throws {
        var parser = ServerRequestParser()
        let input = bytes("GET /a HTTP/1.1\r\nHost: t\r\n\r\nPOST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: t\r\n\r\n")
        var offset = 0
        var paths: [String] = []
        while offset < input.count {
            guard case .request(let request, let consumed) = parser.parse(Array(input[offset...])) else {
                Issue.record("expected a request at offset \(offset)")
                return
            }
            paths.append(request.path)
            offset += consumed
        }
        #expect(paths == ["/a", "/b", "/c"])
    }

    @Test func decodesChunkedBodyWithExtensionsAndTrailers() throws {
        var parser = ServerRequestParser()
        let text = "POST /u HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=x\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
        let (request, consumed) = try #require(parseOne(text, parser: &parser))
        #expect(consumed == text.utf8.count)
        #expect(String(decoding: request.body, as: UTF8.self) == "hello 0123456789")
    }

    @Test func truncatedInputNeedsMoreAtEveryByteThenCompletes() {
        let text = bytes("POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        for split in 1..<text.count {
            var parser = ServerRequestParser()
            if case .needMore = parser.parse(Array(text[0..<split])) {} else {
                Issue.record("split at \(split): expected needMore")
            }
            guard case .request(let request, let consumed) = parser.parse(text) else {
                Issue.record("split at \(split): expected a request")
                continue
            }
            #expect(consumed == text.count)
            #expect(request.body == bytes("abc"))
        }
        var parser = ServerRequestParser()
        if case .needMore = parser.parse(bytes("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab")) {} else {
            Issue.record("short Content-Length body must need more")
        }
    }

    @Test func oversizedHeadersAre431() {
        let parser = ServerRequestParser(maxHeaderBytes: 1024, maxBodyBytes: 1024)
        let big = "GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n"
        #expect(status(of: big, parser: parser) == 431)
        // Without the end of the head in sight, it is rejected as soon as the limit is passed.
        #expect(status(of: String(big.prefix(1500)), parser: parser) == 431)
    }

    @Test func oversizedBodiesAre413() {
        let parser = ServerRequestParser(maxHeaderBytes: 1024, maxBodyBytes: 10)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n", parser: parser) == 413)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n", parser: parser) == 413)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n123456\r\n6\r\n", parser: parser) == 413)
    }

    @Test func garbageIs400() {
        #expect(status(of: "\u{1}\u{2}garbage\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\nHost: a\n\n") == 400)  // bare LF
        #expect(status(of: "GET  / HTTP/1.1\r\nHost: t\r\n\r\n") == 400)
        #expect(status(of: "GET / FTP/1.1\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n") == 400)
        #expect(status(of: "GET / HTTP/1.1\r\nHost: t\r\n folded: x\r\n\r\n") == 400)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1x\r\n\r\n") == 400)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n") == 400)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") == 400)
        #expect(status(of: "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n") == 501)
        #expect(status(of: "GET / HTTP/2.0\r\n\r\n") == 505)
    }

    @Test func keepAliveFollowsVersionAndConnectionHeader() throws {
        var parser = ServerRequestParser()
        #expect(try #require(parseOne("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", parser: &parser)).0.keepAlive == false)
        #expect(try #require(parseOne("GET / HTTP/1.0\r\n\r\n", parser: &parser)).0.keepAlive == false)
        #expect(parser.lastRequestIsHTTP10)
        #expect(try #require(parseOne("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", parser: &parser)).0.keepAlive)
        #expect(try #require(parseOne("GET / HTTP/1.1\r\nHost: t\r\nConnection: upgrade, keep-alive\r\n\r\n", parser: &parser)).0.keepAlive)
        #expect(!parser.lastRequestIsHTTP10)
    }

    @Test func expectContinueIsFlaggedWhileBodyIsMissing() {
        var parser = ServerRequestParser()
        _ = parser.parse(bytes("PUT / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"))
        #expect(parser.wantsContinue)
    }
}

@Suite("ServerRequestParser framing (RFC 9112)")
struct RequestParserFramingTests {
    private func result(_ text: String) -> ServerParseResult {
        var parser = ServerRequestParser()
        return parser.parse(Array(text.utf8))
    }

    private func errorReason(_ text: String) -> String? {
        if case .error(400, let reason) = result(text) { return reason }
        return nil
    }

    @Test func hostIsRequiredOnceInHTTP11() {
        #expect(errorReason("GET / HTTP/1.1\r\n\r\n")?.contains("missing Host") == true)
        #expect(errorReason("GET / HTTP/1.1\r\nHost: a\r\nHOST: a\r\n\r\n")?.contains("more than one Host") == true)
        #expect(errorReason("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n")?.contains("more than one Host") == true)
        if case .request = result("GET / HTTP/1.0\r\n\r\n") {} else { Issue.record("HTTP/1.0 needs no Host") }
        if case .request = result("GET / HTTP/1.1\r\nHost:\r\n\r\n") {} else { Issue.record("an empty Host is valid") }
    }

    @Test func requestLineIsJudgedBeforeTheRestOfTheHead() {
        #expect(errorReason("GET /api/tags\r\n")?.contains("HTTP version") == true)
        #expect(errorReason("GET /api/tags HTTP/1.1 extra\r\nHost: a\r\n") != nil)
        if case .needMore = result("GET /api/tags HTTP/1.1\r\nHost: a\r\n") {} else {
            Issue.record("a valid request line waits for the rest of the head")
        }
    }
}
