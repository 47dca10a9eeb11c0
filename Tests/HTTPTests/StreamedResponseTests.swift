import Dispatch
import Synchronization
import Testing
import TestSupport
@testable import HTTP

/// `HTTPResponse.stream`: chunked bodies produced piece by piece, asked for only while the connection's unsent
/// output is under the limit (back-pressure), in request order with pipelined responses, aborted as a truncated
/// body, cancelled when the client leaves.
@Suite("HTTPServer streamed responses")
struct StreamedResponseTests {
    /// A stream of `count` pieces of `size` bytes each (piece i filled with the letter i % 26), produced on a
    /// background queue (as the backend's worker pool does); `failAt` aborts there instead.
    final class CountingStream: HTTPBodyStream {
        let count: Int
        let size: Int
        let failAt: Int?
        let asked = Atomic<Int>(0)
        let cancelled = Atomic<Bool>(false)

        init(count: Int, size: Int, failAt: Int? = nil) {
            self.count = count
            self.size = size
            self.failAt = failAt
        }

        func next(_ deliver: @escaping @Sendable (HTTPBodyPiece) -> Void) {
            let index = asked.add(1, ordering: .relaxed).newValue - 1
            let (count, size, failAt) = (count, size, failAt)
            DispatchQueue.global().async {
                if index == failAt { return deliver(.abort) }
                if index >= count { return deliver(.end) }
                deliver(.bytes([UInt8](repeating: UInt8(ascii: "a") + UInt8(index % 26), count: size)))
            }
        }

        func cancel() { cancelled.store(true, ordering: .relaxed) }

        var expectedBody: [UInt8] {
            (0..<count).flatMap { [UInt8](repeating: UInt8(ascii: "a") + UInt8($0 % 26), count: size) }
        }
    }

    private func startServer(configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                             handler: @escaping HTTPHandler) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration()
        configuration.threads = 1
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, handler: handler)
        try server.start()
        return server
    }

    @Test func aStreamedBodyArrivesChunkedAndWhole() throws {
        let stream = CountingStream(count: 40, size: 3000)
        let server = try startServer { _, responder in
            responder.respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], stream: stream))
        }
        defer { server.stop() }
        let response = try HTTPClient.send(HTTPRequest(method: "GET", target: "/export"), to: "127.0.0.1", port: server.port)
        #expect(response.status == 200)
        #expect(response.headers["Transfer-Encoding"] == "chunked")
        #expect(response.headers["Content-Length"] == nil)
        #expect(response.body == stream.expectedBody)
    }

    @Test func pipelinedResponsesWaitForTheStreamAndKeepTheirOrder() throws {
        let stream = CountingStream(count: 5, size: 100)   // what each /stream request gets
        let server = try startServer { request, responder in
            if request.path == "/stream" {
                responder.respond(HTTPResponse(status: 200, stream: CountingStream(count: 5, size: 100)))
            } else {
                responder.respond(HTTPResponse(status: 200, body: Array(request.path.utf8)))
            }
        }
        defer { server.stop() }
        let raw = "GET /stream HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        let first = try HTTPClient.exchange(Array(raw.utf8), to: "127.0.0.1", port: server.port)
        #expect(first.body == stream.expectedBody)
        // On the wire, the second response follows the first one's last chunk.
        let client = try RawSocketClient(port: server.port)
        try client.send(raw)
        let text = String(decoding: try client.readUntilClosed(), as: UTF8.self)
        let lastChunk = try #require(text.range(of: "\r\n0\r\n\r\n"))
        #expect(text[lastChunk.upperBound...].hasPrefix("HTTP/1.1 200 OK"))
        #expect(text.hasSuffix("/after"))
    }

    @Test func aClientThatDoesNotReadPausesTheProducerUntilItReads() throws {
        // 400 pieces of 64 KiB: 26 MB, more than the socket buffers and the output limit hold.
        let stream = CountingStream(count: 400, size: 64 * 1024)
        let server = try startServer(configure: { $0.maxOutputBufferBytes = 128 * 1024 }) { _, responder in
            responder.respond(HTTPResponse(status: 200, stream: stream))
        }
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port, timeout: .seconds(20))
        try client.send("GET /export HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        // The client reads nothing: the server stops asking for pieces once the unsent output passes the limit.
        #expect(waitUntilBlocking(deadline: .seconds(20)) { server.stats.backPressuredConnections == 1 })
        let askedWhilePaused = stream.asked.load(ordering: .relaxed)
        #expect(askedWhilePaused < 400)
        // Reading resumes the producer: the whole body arrives.
        let text = try client.readUntilClosed()
        #expect(stream.asked.load(ordering: .relaxed) == 401)   // 400 pieces and the end
        #expect(text.count > stream.count * stream.size)
        #expect(server.stats.backPressuredConnections == 0)
    }

    @Test func anAbortedStreamEndsTheConnectionWithoutTheLastChunk() throws {
        let stream = CountingStream(count: 10, size: 100, failAt: 3)
        let server = try startServer { _, responder in
            responder.respond(HTTPResponse(status: 200, stream: stream))
        }
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET /export HTTP/1.1\r\nHost: t\r\n\r\n")
        let text = String(decoding: try client.readUntilClosed(), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK"))
        #expect(text.contains("Transfer-Encoding: chunked"))
        #expect(!text.hasSuffix("0\r\n\r\n"))
        #expect(text.hasSuffix(String(repeating: "c", count: 100) + "\r\n"))
    }

    @Test func headAndHTTP10GetNoChunks() throws {
        let streams = Mutex<[CountingStream]>([])
        let server = try startServer { _, responder in
            let stream = CountingStream(count: 3, size: 10)
            streams.withLock { $0.append(stream) }
            responder.respond(HTTPResponse(status: 200, stream: stream))
        }
        defer { server.stop() }
        let head = try RawSocketClient(port: server.port)
        try head.send("HEAD /export HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        let headText = String(decoding: try head.readUntilClosed(), as: UTF8.self)
        #expect(headText.hasSuffix("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"))
        #expect(waitUntilBlocking { streams.withLock { $0.first?.cancelled.load(ordering: .relaxed) == true } })

        let old = try RawSocketClient(port: server.port)
        try old.send("GET /export HTTP/1.0\r\n\r\n")
        let oldText = String(decoding: try old.readUntilClosed(), as: UTF8.self)
        #expect(!oldText.contains("Transfer-Encoding"))
        #expect(oldText.hasSuffix("\r\n\r\naaaaaaaaaabbbbbbbbbbcccccccccc"))
    }
}
