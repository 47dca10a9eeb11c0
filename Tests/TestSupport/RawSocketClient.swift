// A tiny blocking TCP client for tests that need to control the exact bytes on the wire.
import Glibc

/// A response read by `RawSocketClient.readResponse()`.
public struct RawHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// First header named `name`, case-insensitive.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking TCP client with a receive timeout: send raw bytes, read HTTP responses back, and check
/// whether the server closed the connection. Not thread-safe; use it from one task.
public final class RawSocketClient {
    private var fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to `host:port`; every receive gives up after `timeout` (so a failing test ends).
    public init(port: Int, host: String = "127.0.0.1", timeout: Duration = .seconds(5)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed: errno \(errno)") }
        var tv = timeval(tv_sec: Int(timeout.components.seconds),
                         tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TestSupportError("connect to \(host):\(port) failed: errno \(code)")
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Sends all of `text` as UTF-8.
    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends all of `bytes`.
    /// The peer closed the connection before sending a single byte of a response: on a reused keep-alive connection,
    /// the server's idle timeout closed it before the request arrived (clients retry such a request on a new one).
    public struct ClosedBeforeResponse: Error, CustomStringConvertible {
        public var description: String { "connection closed before any byte of a response" }
    }

    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw TestSupportError("send failed: errno \(errno)")
            }
            sent += n
        }
    }

    /// Reads one HTTP/1.x response: status line, headers, and a body delimited by Content-Length
    /// (or by end of stream when there is none). Pass `expectBody: false` for answers to HEAD requests.
    public func readResponse(expectBody: Bool = true) throws -> RawHTTPResponse {
        var headEnd: Int?
        while true {
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
            if headEnd != nil { break }
            guard try fill() else {
                if buffer.isEmpty { throw ClosedBeforeResponse() }
                throw TestSupportError("connection closed before a full response head")
            }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw TestSupportError("malformed status line in: \(head)")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw TestSupportError("malformed header: \(line)") }
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " })
            headers.append((name: String(line[..<colon]), value: String(value)))
        }
        buffer.removeFirst(headEnd! + 4)
        var response = RawHTTPResponse(status: status, headers: headers, body: [])
        if !expectBody {
            return response
        } else if let lengthText = response.header("Content-Length") {
            guard let length = Int(lengthText) else { throw TestSupportError("bad Content-Length \(lengthText)") }
            while buffer.count < length {
                guard try fill() else { throw TestSupportError("connection closed inside a body") }
            }
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else if status >= 200 && status != 204 && status != 304 {
            while try fill() {}
            response.body = buffer
            buffer.removeAll()
        }
        return response
    }

    /// Reads until the peer closes, handing each received piece to `each` without keeping it (for bodies too
    /// large to hold); returns the byte count. Throws if the timeout passes first.
    public func drainUntilClosed(_ each: ([UInt8]) -> Void) throws -> Int {
        var total = 0
        if !buffer.isEmpty { each(buffer); total += buffer.count; buffer.removeAll() }
        while try fill() {
            each(buffer)
            total += buffer.count
            buffer.removeAll(keepingCapacity: true)
        }
        return total
    }

    /// Every byte until the peer closes (raw: heads, chunk framing and all); throws if the timeout passes first.
    public func readUntilClosed() throws -> [UInt8] {
        while try fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// Reads and discards until the peer closes (true) or the receive timeout passes (false).
    /// A connection reset counts as closed.
    public func waitForClose() throws -> Bool {
        do {
            while try fill() { buffer.removeAll() }
            return true
        } catch is TimeoutError {
            return false
        }
    }

    /// Closes the socket with a reset (SO_LINGER 0), as a client does that leaves with unread data.
    public func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Closes the socket now.
    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    private struct TimeoutError: Error, CustomStringConvertible {
        var description: String { "receive timed out (no bytes within the client's timeout)" }
    }

    /// Reads more bytes into `buffer`; false at end of stream (or reset).
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 { buffer.append(contentsOf: chunk[0..<n]); return true }
            if n == 0 { return false }
            switch errno {
            case EINTR: continue
            case ECONNRESET: return false
            case EAGAIN, EWOULDBLOCK: throw TimeoutError()
            default: throw TestSupportError("recv failed: errno \(errno)")
            }
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}
