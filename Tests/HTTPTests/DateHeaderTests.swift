import Synchronization
import Testing
import TestSupport
@testable import HTTP

@Suite("Date header")
struct DateHeaderTests {
    @Test(arguments: [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),       // RFC 9110's example
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),       // leap day of a century leap year
        (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
        (1_798_761_599, "Thu, 31 Dec 2026 23:59:59 GMT"),
        (4_102_444_800, "Fri, 01 Jan 2100 00:00:00 GMT"),     // 2100 is not a leap year
    ])
    func formatsIMFFixdate(seconds: Int, expected: String) {
        #expect(HTTPDate.format(epochSeconds: seconds) == expected)
    }

    @Test func lineIsReformattedOnlyWhenTheSecondChanges() {
        var line = ServerDateLine(epochSeconds: 1_798_761_599)
        #expect(String(decoding: line.bytes, as: UTF8.self) == "Date: Thu, 31 Dec 2026 23:59:59 GMT\r\n")
        line.refresh(epochSeconds: 1_798_761_599)
        #expect(line.second == 1_798_761_599)
        // Across the second (and year) boundary.
        line.refresh(epochSeconds: 1_798_761_600)
        #expect(String(decoding: line.bytes, as: UTF8.self) == "Date: Fri, 01 Jan 2027 00:00:00 GMT\r\n")
        #expect(line.bytes.count == 37)
    }

    @Test func encoderAddsTheDateLineUnlessTheHandlerSetsOne() {
        let dateLine = Array("Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n".utf8)
        var out: [UInt8] = []
        ServerResponseEncoder.encode(HTTPResponse(status: 200, body: Array("hi".utf8)), into: &out, omitBody: false,
                                     close: false, keepAliveHeader: false, dateLine: dateLine)
        #expect(String(decoding: out, as: UTF8.self)
                == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n\r\nhi")
        out.removeAll()
        ServerResponseEncoder.encode(HTTPResponse(status: 200, headers: ["date": "Mon, 07 Nov 1994 00:00:00 GMT"]),
                                     into: &out, omitBody: false, close: false, keepAliveHeader: false, dateLine: dateLine)
        #expect(String(decoding: out, as: UTF8.self)
                == "HTTP/1.1 200 OK\r\ndate: Mon, 07 Nov 1994 00:00:00 GMT\r\nContent-Length: 0\r\n\r\n")
    }

    /// The server reads its wall clock once per batch of events: a response after the clock steps carries the new
    /// second, and one before it the old.
    @Test func serverResponsesCarryTheClocksCurrentSecond() throws {
        let clock = SteppedWallClock(784_111_777)
        var configuration = HTTPServerConfiguration()
        configuration.threads = 1
        configuration.wallClockSeconds = { clock.seconds.load(ordering: .relaxed) }
        let server = HTTPServer(configuration: configuration) { _, responder in
            responder.respond(HTTPResponse(status: 200, body: Array("x".utf8)))
        }
        try server.start()
        defer { server.stop() }
        let client = try RawSocketClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().header("Date") == "Sun, 06 Nov 1994 08:49:37 GMT")
        clock.seconds.store(784_111_778, ordering: .relaxed)
        // Two pipelined requests in one read: both answered in the same batch, with the new second, in order.
        try client.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().header("Date") == "Sun, 06 Nov 1994 08:49:38 GMT")
        #expect(try client.readResponse().header("Date") == "Sun, 06 Nov 1994 08:49:38 GMT")
    }
}

/// A wall clock the test steps by hand.
final class SteppedWallClock: Sendable {
    let seconds: Atomic<Int>
    init(_ start: Int) { seconds = Atomic(start) }
}
