import Dispatch
import Synchronization
import Testing
import TestSupport
@testable import HTTP

@Suite("HTTPServer")
struct ServerTests {
    private func startServer(threads: Int = 2, configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                             handler: @escaping HTTPHandler) throws -> HTTPServer {
        try startTestServer(threads: threads, configure: configure, handler: handler)
    }

    /// Responds synchronously with "<method> <path> <body>".
    private static let echo: HTTPHandler = { request, responder in
        let text = "\(request.method) \(request.path) \(String(decoding: request.body, as: UTF8.self))"
        responder.respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], body: Array(text.utf8)))
    }

    @Test func keepAliveReusesOneConnection() throws {
        let server = try startServer(handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        for index in 0..<3 {
            try client.send("GET /r\(index) HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "GET /r\(index) ")
            #expect(response.header("Connection") == nil)
            #expect(response.header("Content-Length") == "\(response.body.count)")
        }
        let stats = server.stats
        #expect(stats.acceptedConnections == 1)
        #expect(stats.openConnections == 1)
        #expect(stats.requestsServed == 3)
        #expect(stats.busyNanoseconds.count == 2)
        #expect(stats.busyNanoseconds.reduce(0, +) > 0)
    }

    @Test func http10KeepAliveIsAcknowledgedAndPlainHttp10Closes() throws {
        let server = try startServer(handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try client.readResponse().header("Connection") == "keep-alive")
        try client.send("GET /b HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.bodyText == "GET /b ")
        #expect(response.header("Connection") == "close")
        #expect(try client.waitForClose())
    }

    @Test func pipelinedRequestsAreAnsweredInOrderWhenCompletedOutOfOrder() throws {
        let held = ServerTestBox<[(String, HTTPResponder)]>([])
        let server = try startServer { request, responder in
            let all = held.update { list -> [(String, HTTPResponder)]? in
                list.append((request.path, responder))
                return list.count == 3 ? list : nil
            }
            // Once all three arrived, answer them from another thread, last first.
            if let all {
                DispatchQueue.global().async {
                    for (path, responder) in all.reversed() {
                        responder.respond(HTTPResponse(status: 200, body: Array(path.utf8)))
                    }
                }
            }
        }
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /one HTTP/1.1\r\nHost: t\r\n\r\nGET /two HTTP/1.1\r\nHost: t\r\n\r\nGET /three HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().bodyText == "/one")
        #expect(try client.readResponse().bodyText == "/two")
        #expect(try client.readResponse().bodyText == "/three")
    }

    @Test func manyPipelinedSynchronousRequestsKeepOrderBeyondThePipelineLimit() throws {
        let server = try startServer(configure: { $0.maxPipelinedRequests = 4 }, handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send((0..<50).map { "GET /\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined())
        for index in 0..<50 {
            #expect(try client.readResponse().bodyText == "GET /\(index) ")
        }
    }

    @Test func chunkedRequestBodyReachesTheHandler() throws {
        let server = try startServer(handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n")
        try client.send("5\r\npedia\r\n0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.bodyText == "POST /c Wikipedia")
    }

    @Test func connectionCloseIsHonoured() throws {
        let server = try startServer(handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /bye HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(try client.waitForClose())
        #expect(waitUntilBlocking { server.stats.openConnections == 0 })
    }

    @Test(arguments: [
        (431, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "a", count: 3000))\r\n\r\n"),
        (413, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\nsome of the body"),
        (400, "HELLO?\r\n\r\n"),
    ])
    func limitsAndGarbageAreRejectedOverTheWire(status: Int, request: String) throws {
        let server = try startServer(configure: {
            $0.maxHeaderBytes = 1024
            $0.maxBodyBytes = 1024
        }, handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send(request)
        let response = try client.readResponse()
        #expect(response.status == status)
        #expect(response.header("Connection") == "close")
        #expect(try client.waitForClose())
        #expect(server.stats.protocolErrors == 1)
    }

    @Test func errorResponseFollowsEarlierPipelinedResponses() throws {
        let server = try startServer(handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\nNOT HTTP AT ALL\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(try client.readResponse().status == 400)
        #expect(try client.waitForClose())
    }

    @Test func slowlorisIsAnswered408AndClosedAfterTheHeaderReadTimeout() throws {
        let server = try startServer(configure: { $0.headerReadTimeout = .milliseconds(200) }, handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /slow HTTP/1.1\r\nHost: t\r\nX-Still-Typing:")
        let response = try client.readResponse()  // blocks until the server gives up on the headers
        #expect(response.status == 408)
        #expect(try client.waitForClose())
    }

    @Test func idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws {
        let server = try startServer(configure: { $0.idleTimeout = .milliseconds(200) }, handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(try client.waitForClose())
    }

    @Test func largeResponseSurvivesPartialWrites() throws {
        let payload = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let server = try startServer { _, responder in
            responder.respond(HTTPResponse(status: 200, body: payload))
        }
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\nGET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().body == payload)
        #expect(try client.readResponse().body == payload)
    }

    @Test func headResponseHasContentLengthButNoBody() throws {
        let server = try startServer(handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\nGET /g HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try client.readResponse(expectBody: false)
        #expect(head.header("Content-Length") == "8")  // "HEAD /h " would be the body
        #expect(head.body.isEmpty)
        #expect(try client.readResponse().bodyText == "GET /g ")
    }

    @Test func expectContinueGetsAnInterimResponse() throws {
        let server = try startServer(handler: Self.echo)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("PUT /e HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send("abc")
        #expect(try client.readResponse().bodyText == "PUT /e abc")
    }

    @Test func gracefulStopFinishesAnInFlightRequest() async throws {
        let held = ServerTestBox<HTTPResponder?>(nil)
        // Under a loaded full-suite run this task can wait long to resume: no idle timeout may close `idle` first.
        let server = try startServer(threads: 1, configure: { $0.idleTimeout = .seconds(3600) }) { _, responder in
            held.update { $0 = responder }
        }
        let busy = try RawSocketClient(port: server.port)
        let idle = try RawSocketClient(port: server.port)
        try busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await waitUntil { held.value != nil })

        let stopped = ServerTestBox(false)
        DispatchQueue.global().async {
            server.stop()
            stopped.update { $0 = true }
        }
        // The idle connection is closed when the stop begins; the busy one waits for its response.
        #expect(try idle.waitForClose())
        #expect(!stopped.value)
        held.value?.respond(HTTPResponse(status: 200, body: Array("done".utf8)))
        let response = try busy.readResponse()
        #expect(response.bodyText == "done")
        #expect(response.header("Connection") == "close")
        #expect(try busy.waitForClose())
        #expect(await waitUntil { stopped.value })
        #expect(server.stats.openConnections == 0)
    }

    @Test func respondingTwiceOrAfterStopIsHarmless() throws {
        let held = ServerTestBox<HTTPResponder?>(nil)
        let server = try startServer { _, responder in
            responder.respond(HTTPResponse(status: 200))
            responder.respond(HTTPResponse(status: 500))
            held.update { $0 = responder }
        }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(try client.readResponse().status == 200)
        server.stop()
        held.value?.respond(HTTPResponse(status: 200))
        #expect(server.stats.requestsServed == 2)
    }

    @Test func startFailsClearlyOnABadHost() {
        var configuration = HTTPServerConfiguration()
        configuration.host = "not-an-ip"
        let server = HTTPServer(configuration: configuration, handler: Self.echo)
        #expect(throws: HTTPServerError.self) { try server.start() }
    }
}
