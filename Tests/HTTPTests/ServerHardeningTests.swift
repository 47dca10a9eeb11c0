import Dispatch
import Glibc
import Testing
import TestSupport
@testable import HTTP

/// Issue 14: back-pressure on clients that do not read, dropped work for closed connections, the body
/// deadline, strict framing (Host, request line) and binding before serving.
@Suite("HTTPServer hardening")
struct ServerHardeningTests {
    /// One serving thread unless a test asks for more: the hardening cases are about one connection's state.
    private func startServer(threads: Int = 1, configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                             handler: @escaping HTTPHandler) throws -> HTTPServer {
        try startTestServer(threads: threads, configure: configure, handler: handler)
    }

    private static let ok: HTTPHandler = { request, responder in
        responder.respond(HTTPResponse(status: 200, body: Array(request.path.utf8)))
    }

    // MARK: Back-pressure

    @Test func clientThatDoesNotReadPausesReadingUntilItReadsAgain() throws {
        let handled = ServerTestBox(0)
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 256 * 1024)
        let server = try startServer(configure: {
            $0.maxOutputBufferBytes = 64 * 1024
            $0.maxPipelinedRequests = 4
        }) { request, responder in
            handled.update { $0 += 1 }
            responder.respond(HTTPResponse(status: 200, headers: ["X-Path": request.path], body: body))
        }
        defer { server.stop() }
        let requests = 400   // 100 MB of responses: far more than socket buffers hold
        let client = try RawSocketClient(port: server.port, timeout: .seconds(10))
        try client.send((0..<requests).map { "GET /\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined())
        // The server stops reading once the unsent responses pass the limit...
        #expect(waitUntilBlocking(deadline: .seconds(10)) { server.stats.backPressuredConnections == 1 })
        // ...so it handled only what the socket buffers and the limit hold, not all 400 requests.
        #expect(handled.value < requests)
        // Reading resumes as the client reads: every response arrives, in order.
        for index in 0..<requests {
            let response = try client.readResponse()
            #expect(response.header("X-Path") == "/\(index)")
            #expect(response.body.count == body.count)
        }
        #expect(handled.value == requests)
        #expect(waitUntilBlocking { server.stats.backPressuredConnections == 0 })
    }

    @Test func responsesForAClosedConnectionAreDroppedUnencoded() throws {
        let held = ServerTestBox<[HTTPResponder]>([])
        let server = try startServer { _, responder in held.update { $0.append(responder) } }
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send(String(repeating: "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n", count: 3))
        #expect(waitUntilBlocking { held.value.count == 3 })
        client.reset()
        #expect(waitUntilBlocking { server.stats.openConnections == 0 })
        for responder in held.value { responder.respond(HTTPResponse(status: 200, body: Array("late".utf8))) }
        #expect(waitUntilBlocking { server.stats.droppedResponses == 3 })
        #expect(server.stats.requestsServed == 0)
    }

    @Test func stopEndsAfterTheGracePeriodWhenAHandlerNeverResponds() throws {
        let called = ServerTestBox(false)
        let server = try startServer(configure: { $0.shutdownGracePeriod = .milliseconds(50) }) { _, _ in
            called.update { $0 = true }   // never responds
        }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(waitUntilBlocking { called.value })
        server.stop()   // returns: the grace period bounds it
        #expect(try client.waitForClose())
        #expect(server.stats.openConnections == 0)
    }

    // MARK: Body deadline

    @Test func slowBodyIsAnswered408AfterTheBodyReadTimeout() throws {
        let server = try startServer(configure: {
            $0.bodyReadTimeout = .milliseconds(200)
            $0.idleTimeout = .seconds(60)   // each trickled byte would reset this one
        }, handler: Self.ok)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten b")
        let response = try client.readResponse()   // blocks until the server gives up on the body
        #expect(response.status == 408)
        #expect(response.bodyText.contains("body"))
        #expect(try client.waitForClose())
        #expect(server.stats.protocolErrors == 1)
    }

    // MARK: Framing

    @Test(arguments: [
        "GET /none HTTP/1.1\r\n\r\n",
        "GET /two HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /two HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n",
    ])
    func missingOrRepeatedHostIs400(request: String) throws {
        let server = try startServer(handler: Self.ok)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send(request)
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.bodyText.contains("Host"))
        #expect(try client.waitForClose())
    }

    @Test func http10WithoutHostIsServed() throws {
        let server = try startServer(handler: Self.ok)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /old HTTP/1.0\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }

    @Test func requestLineWithoutVersionIs400AtOnce() throws {
        // With a one-minute header timeout, only the request-line check can answer within the client's 5 s.
        let server = try startServer(configure: { $0.headerReadTimeout = .seconds(60) }, handler: Self.ok)
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /api/tags\r\n")
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.bodyText.contains("HTTP version"))
    }

    // MARK: Binding

    @Test func bindFailsFastOnABusyPort() throws {
        let taken = try HTTPListener(host: "127.0.0.1", port: 0)
        defer { taken.close() }
        var configuration = HTTPServerConfiguration()
        configuration.port = taken.port
        let server = HTTPServer(configuration: configuration, handler: Self.ok)
        #expect {
            try server.bind()
        } throws: { error in
            "\(error)".contains("\(taken.port)") && "\(error)".contains("in use")
        }
    }

    @Test func aConnectionMadeAfterBindIsServedOnceStarted() throws {
        var configuration = HTTPServerConfiguration()
        configuration.threads = 1
        let server = HTTPServer(configuration: configuration, handler: Self.ok)
        defer { server.stop() }
        let port = try server.bind()
        #expect(port > 0 && server.port == port)
        let client = try RawSocketClient(port: port)   // waits in the listen backlog
        try client.send("GET /early HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try server.start() == port)
        #expect(try client.readResponse().bodyText == "/early")
    }

    @Test func aServerServesOnAListenerBoundBeforeIt() throws {
        let listener = try HTTPListener(host: "localhost", port: 0)
        var configuration = HTTPServerConfiguration()
        configuration.threads = 1
        let server = HTTPServer(configuration: configuration, listener: listener, handler: Self.ok)
        defer { server.stop() }
        #expect(server.port == listener.port)
        try server.start()
        let client = try RawSocketClient(port: listener.port)
        try client.send("GET /given HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().bodyText == "/given")
    }
}
