// A simple blocking HTTP/1.1 client for setup work (harvesting values, creating sessions), off any hot path.
#if canImport(Glibc)
import Glibc
#endif

/// One-shot HTTP/1.1 exchanges over a fresh connection.
///
/// For setup work only (a handful of requests before a run). The load generator's hot path uses
/// `ClientPoller`, `ClientSocket` and `ResponseParser` directly with many keep-alive connections per thread.
public enum HTTPClient {
    /// Sends `request` to `host:port` over a new connection and returns the complete response.
    ///
    /// The whole exchange (connect, write, read) must finish within `timeout` (default 10 s). The connection is
    /// closed afterwards (`Connection: close` is added unless the request names a `Connection` header).
    /// Throws `HTTPClientError` classified as `.refused`, `.reset`, `.timeout`, `.badResponse` or `.other`.
    public static func send(_ request: HTTPRequest, to host: String, port: Int,
                            timeout: Duration = .seconds(10)) throws(HTTPClientError) -> HTTPResponse {
        var outgoing = request
        if outgoing.headers["Connection"] == nil { outgoing.headers.add(name: "Connection", value: "close") }
        return try exchange(serialize(outgoing, host: host, port: port), to: host, port: port, timeout: timeout,
                            expectingNoBody: request.method == "HEAD")
    }

    /// Sends already serialized request bytes over a new connection and returns the complete response; the
    /// connection is closed afterwards. Same timeout and error classification as `send`.
    public static func exchange(_ bytes: [UInt8], to host: String, port: Int, timeout: Duration = .seconds(10),
                                expectingNoBody: Bool = false) throws(HTTPClientError) -> HTTPResponse {
        let address = try ClientSocket.resolve(host: host, port: port)
        let deadline = nowNanoseconds() &+ nanoseconds(timeout)

        let fd: Int32
        switch ClientSocket.startConnect(to: address) {
        case .failed(let code):
            throw HTTPClientError(ClientSocket.classify(errno: code),
                                  "connect to \(address.name) failed: \(ClientSocket.describe(errno: code))")
        case .started(let socket, let connected):
            fd = socket
            if !connected {
                do throws(HTTPClientError) {
                    try waitFor(fd, events: Int16(POLLOUT), until: deadline, doing: "connecting to \(address.name)")
                } catch {
                    close(fd)
                    throw error
                }
                let code = ClientSocket.pendingError(fd)
                if code != 0 {
                    close(fd)
                    throw HTTPClientError(ClientSocket.classify(errno: code),
                                          "connect to \(address.name) failed: \(ClientSocket.describe(errno: code))")
                }
            }
        }
        defer { close(fd) }

        // Write the whole request.
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { written += n; continue }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                try waitFor(fd, events: Int16(POLLOUT), until: deadline, doing: "sending to \(address.name)")
                continue
            }
            throw HTTPClientError(ClientSocket.classify(errno: code),
                                  "sending to \(address.name) failed: \(ClientSocket.describe(errno: code))")
        }

        // Read until the parser says the response is complete.
        var parser = ResponseParser(storesMessage: true)
        parser.reset(expectingNoBody: expectingNoBody)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 {
                let complete: Bool
                do throws(ResponseParseError) {
                    complete = try parse(&parser, buffer, count: n)
                } catch {
                    throw HTTPClientError(.badResponse, "bad response from \(address.name): \(error.description)")
                }
                if complete { return parser.takeResponse() }
                continue
            }
            if n == 0 {
                do throws(ResponseParseError) {
                    if try parser.endOfStream() { return parser.takeResponse() }
                } catch {
                    throw HTTPClientError(.reset, "\(address.name) closed the connection early: \(error.description)")
                }
                throw HTTPClientError(.reset, "\(address.name) closed the connection without a response")
            }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                try waitFor(fd, events: Int16(POLLIN), until: deadline, doing: "waiting for the response from \(address.name)")
                continue
            }
            throw HTTPClientError(ClientSocket.classify(errno: code),
                                  "reading from \(address.name) failed: \(ClientSocket.describe(errno: code))")
        }
    }

    /// Checks that `host:port` accepts TCP connections within `timeout` (connects, then closes).
    /// Throws `.refused`, `.timeout` or `.other` with a message naming the address.
    public static func probe(host: String, port: Int, timeout: Duration = .seconds(5)) throws(HTTPClientError) {
        let address = try ClientSocket.resolve(host: host, port: port)
        let deadline = nowNanoseconds() &+ nanoseconds(timeout)
        switch ClientSocket.startConnect(to: address) {
        case .failed(let code):
            throw HTTPClientError(ClientSocket.classify(errno: code),
                                  "connect to \(address.name) failed: \(ClientSocket.describe(errno: code))")
        case .started(let fd, let connected):
            defer { close(fd) }
            if connected { return }
            try waitFor(fd, events: Int16(POLLOUT), until: deadline, doing: "connecting to \(address.name)")
            let code = ClientSocket.pendingError(fd)
            if code != 0 {
                throw HTTPClientError(ClientSocket.classify(errno: code),
                                      "connect to \(address.name) failed: \(ClientSocket.describe(errno: code))")
            }
        }
    }

    /// The request's wire bytes: request line, `Host` (unless given), the headers, `Content-Length` (when there is
    /// a body or the method usually has one, unless given), a blank line, and the body.
    public static func serialize(_ request: HTTPRequest, host: String, port: Int) -> [UInt8] {
        var head = "\(request.method) \(request.target) HTTP/1.1\r\n"
        if request.headers["Host"] == nil { head += "Host: \(hostHeader(host: host, port: port))\r\n" }
        for field in request.headers { head += "\(field.name): \(field.value)\r\n" }
        let needsLength = !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method)
        if needsLength && request.headers["Content-Length"] == nil {
            head += "Content-Length: \(request.body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + request.body
    }

    /// The `Host` header value: the port is omitted when it is 80; IPv6 literals are bracketed.
    public static func hostHeader(host: String, port: Int) -> String {
        let name = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }

    private static func parse(_ parser: inout ResponseParser, _ buffer: [UInt8],
                              count: Int) throws(ResponseParseError) -> Bool {
        var result: Result<Bool, ResponseParseError> = .success(false)
        buffer.withUnsafeBytes { raw in
            do throws(ResponseParseError) {
                result = .success(try parser.parse(UnsafeRawBufferPointer(rebasing: raw[0..<count])).complete)
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    private static func waitFor(_ fd: Int32, events: Int16, until deadline: UInt64,
                                doing what: String) throws(HTTPClientError) {
        while true {
            let now = nowNanoseconds()
            guard now < deadline else { throw HTTPClientError(.timeout, "timed out \(what)") }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let ms = Int32(min((deadline - now + 999_999) / 1_000_000, 1 << 30))
            let rc = poll(&pfd, 1, ms)
            if rc > 0 { return }
            if rc < 0 && errno != EINTR {
                throw HTTPClientError(.other, "poll failed while \(what): \(ClientSocket.describe(errno: errno))")
            }
        }
    }

    private static func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    private static func nanoseconds(_ d: Duration) -> UInt64 {
        let c = d.components
        guard c.seconds >= 0 else { return 0 }
        return UInt64(c.seconds) &* 1_000_000_000 &+ UInt64(c.attoseconds / 1_000_000_000)
    }
}
