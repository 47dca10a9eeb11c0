import Testing
@testable import HTTP

/// Feeds `wire` to a storing parser in pieces split at `splits` and returns the response and the bytes consumed.
private func parseInPieces(_ wire: [UInt8], splitAt splits: [Int], noBody: Bool = false,
                           closeAtEnd: Bool = false) throws -> (HTTPResponse, consumed: Int) {
    var parser = ResponseParser(storesMessage: true)
    parser.reset(expectingNoBody: noBody)
    var start = 0
    var consumed = 0
    for end in splits + [wire.count] where end >= start {
        let (n, complete) = try parser.parse(Array(wire[start..<end]))
        consumed += n
        if complete { return (parser.takeResponse(), consumed) }
        #expect(n == end - start, "an incomplete response consumes everything it is given")
        start = end
    }
    if closeAtEnd, try parser.endOfStream() { return (parser.takeResponse(), consumed) }
    throw ResponseParseError("incomplete after \(wire.count) bytes")
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct ResponseParserTests {
    @Test func contentLengthResponseIsParsedWithHeadersAndBody() throws {
        let wire = bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
        let (response, consumed) = try parseInPieces(wire, splitAt: [])
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain")
        #expect(String(decoding: response.body, as: UTF8.self) == "hello")
        #expect(consumed == wire.count)
    }

    @Test func chunkedBodyWithExtensionsAndTrailersIsDecoded() throws {
        let wire = bytes("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: yes\r\n\r\n")
        let (response, consumed) = try parseInPieces(wire, splitAt: [])
        #expect(response.status == 201)
        #expect(String(decoding: response.body, as: UTF8.self) == "hello world!")
        #expect(consumed == wire.count)
    }

    @Test func everySplitPointGivesTheSameResponse() throws {
        let samples = [
            "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\nhello world",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb;x=1\r\nhello world\r\n0\r\nT: 1\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nServer: t\r\n\r\n",
        ]
        for sample in samples {
            let wire = bytes(sample)
            let (whole, _) = try parseInPieces(wire, splitAt: [])
            for split in 1..<wire.count {
                let (pieces, consumed) = try parseInPieces(wire, splitAt: [split])
                #expect(pieces.status == whole.status)
                #expect(pieces.body == whole.body)
                #expect(pieces.headers.count == whole.headers.count)
                #expect(consumed == wire.count)
            }
            // One byte at a time.
            let (single, _) = try parseInPieces(wire, splitAt: Array(1..<wire.count))
            #expect(single.body == whole.body)
        }
    }

    @Test func closeDelimitedBodyEndsAtEndOfStream() throws {
        let wire = bytes("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
        let (response, _) = try parseInPieces(wire, splitAt: [20, 50], closeAtEnd: true)
        #expect(String(decoding: response.body, as: UTF8.self) == "until the end")
        var parser = ResponseParser()
        _ = try parser.parse(wire)
        #expect(!parser.keepAlive)
    }

    @Test func bytesAfterACompleteResponseAreNotConsumed() throws {
        var parser = ResponseParser()
        let wire = bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n")
        let (consumed, complete) = try parser.parse(wire)
        #expect(complete)
        #expect(consumed == wire.count - "HTTP/1.1 200 OK\r\n".utf8.count)
        #expect(parser.bodyBytes == 2)
        #expect(parser.wireBytes == consumed)
    }

    @Test func headResponseAnd304HaveNoBody() throws {
        let head = bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        let (response, consumed) = try parseInPieces(head, splitAt: [], noBody: true)
        #expect(response.body.isEmpty && consumed == head.count)
        let notModified = bytes("HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n")
        let (r304, _) = try parseInPieces(notModified, splitAt: [])
        #expect(r304.status == 304)
    }

    @Test func connectionCloseAndHTTP10KeepAliveAreHonoured() throws {
        var parser = ResponseParser()
        _ = try parser.parse(bytes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
        #expect(parser.isComplete && !parser.keepAlive)
        parser.reset()
        _ = try parser.parse(bytes("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"))
        #expect(parser.isComplete && parser.keepAlive)
    }

    @Test func resetMakesTheParserReusable() throws {
        var parser = ResponseParser()
        let wire = bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop")
        for _ in 0..<3 {
            parser.reset()
            #expect(parser.isIdle)
            let (_, complete) = try parser.parse(wire)
            #expect(complete && parser.status == 404 && parser.bodyBytes == 3)
        }
    }

    @Test(arguments: [
        "garbage\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
    ])
    func garbageIsAnError(_ wire: String) {
        var parser = ResponseParser()
        #expect(throws: ResponseParseError.self) { _ = try parser.parse(bytes(wire)) }
    }

    @Test func oversizedHeadIsAnError() {
        var parser = ResponseParser(maxHeadBytes: 64)
        let wire = bytes("HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "a", count: 100) + "\r\n\r\n")
        #expect(throws: ResponseParseError.self) { _ = try parser.parse(wire) }
    }

    @Test func endOfStreamInsideAResponseIsAnErrorButIdleCloseIsNot() throws {
        var idle = ResponseParser()
        #expect(try idle.endOfStream() == false)
        var partial = ResponseParser()
        _ = try partial.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
        #expect(throws: ResponseParseError.self) { _ = try partial.endOfStream() }
    }
}
