// A small blocking HTTP/1.1 server for client and load-generator tests: one thread per connection, a scripted reply
// per request (answer, raw bytes, silence, reset), so tests can provoke what a real server rarely does.
import Foundation
import Glibc
import Synchronization

/// A request as the test server saw it.
public struct SeenRequest: Sendable {
    public var method: String
    public var target: String
    public var headers: [String: String]   // lower-cased names
    public var body: String
}

/// What the handler wants done.
public enum ServerReply: Sendable {
    case respond(status: Int, body: String)
    /// Send these exact bytes; then close the connection when `close` is true.
    case raw(String, close: Bool)
    /// Never answer this request.
    case silent
    /// Reset the connection (SO_LINGER 0).
    case reset
}

/// Listens on 127.0.0.1 port 0; counts connections and requests.
public final class ScriptedTestServer: Sendable {
    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (SeenRequest) -> ServerReply
    private let connectionCount = Atomic<Int>(0)
    private let requestCount = Atomic<Int>(0)
    private let openFDs = Mutex<[Int32]>([])
    private let stopped = Atomic<Bool>(false)

    public var connections: Int { connectionCount.load(ordering: .relaxed) }
    public var requests: Int { requestCount.load(ordering: .relaxed) }

    public init(handler: @escaping @Sendable (SeenRequest) -> ServerReply) throws {
        self.handler = handler
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 256) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops accepting and shuts every open connection down.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        openFDs.withLock { fds in for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let fd = accept(listener, nil, nil)
            if fd < 0 { if errno == EINTR { continue } else { return } }
            connectionCount.add(1, ordering: .relaxed)
            openFDs.withLock { $0.append(fd) }
            let thread = Thread { [self] in serve(fd) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            openFDs.withLock { $0.removeAll { $0 == fd } }
            close(fd)
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        func fill() -> Bool {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        while true {
            var headEnd: Int?
            while headEnd == nil {
                headEnd = Self.find(buffer)
                if headEnd == nil && !fill() { return }
            }
            let lines = String(decoding: buffer[0..<headEnd!], as: UTF8.self).components(separatedBy: "\r\n")
            let requestLine = lines[0].split(separator: " ")
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < headEnd! + 4 + length { if !fill() { return } }
            let body = String(decoding: buffer[(headEnd! + 4)..<(headEnd! + 4 + length)], as: UTF8.self)
            buffer.removeFirst(headEnd! + 4 + length)
            requestCount.add(1, ordering: .relaxed)
            let seen = SeenRequest(method: String(requestLine.first ?? ""),
                                   target: requestLine.count > 1 ? String(requestLine[1]) : "",
                                   headers: headers, body: body)
            switch handler(seen) {
            case .respond(let status, let text):
                let bytes = Array("HTTP/1.1 \(status) X\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)".utf8)
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            case .raw(let text, let close):
                let bytes = Array(text.utf8)
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                if close { return }
            case .silent:
                continue
            case .reset:
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                return
            }
        }
    }

    private static func find(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4)
        where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }
}
