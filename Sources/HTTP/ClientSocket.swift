// Client-side socket plumbing: address resolution, non-blocking connect, error classification.
#if canImport(Glibc)
import Glibc
#endif

/// Why a client exchange failed below HTTP.
public enum ClientErrorKind: String, Sendable, CaseIterable {
    /// The target refused the connection (nothing listening).
    case refused
    /// The connection was reset or closed in the middle of a response.
    case reset
    /// Connecting or waiting for the response took longer than the configured timeout.
    case timeout
    /// The bytes received are not a valid HTTP/1.1 response.
    case badResponse
    /// Anything else: out of file descriptors (EMFILE), unreachable address, name resolution, ...
    case other
}

/// A client failure with its classification and a message naming what failed.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public var kind: ClientErrorKind
    public var message: String
    public init(_ kind: ClientErrorKind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { "\(kind.rawValue): \(message)" }
}

/// A resolved socket address (IPv4 or IPv6), copyable and sendable.
public struct ClientAddress: Sendable {
    var storage: sockaddr_storage
    var length: socklen_t
    /// Address family (AF_INET or AF_INET6).
    public var family: Int32 { Int32(storage.ss_family) }
    /// The host and port it was resolved from, for messages.
    public let name: String
}

/// Socket helpers shared by `HTTPClient.send` and the load generator's event loops.
public enum ClientSocket {
    /// Resolves `host` (a name or a numeric address) and `port` to a socket address, preferring IPv4.
    public static func resolve(host: String, port: Int) throws(HTTPClientError) -> ClientAddress {
        guard (1...65535).contains(port) else { throw HTTPClientError(.other, "port \(port) out of range 1...65535") }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            let reason = String(cString: gai_strerror(rc))
            throw HTTPClientError(.other, "cannot resolve host \"\(host)\": \(reason)")
        }
        defer { freeaddrinfo(list) }
        var chosen = first
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if entry.pointee.ai_family == AF_INET { chosen = entry; break }
            cursor = entry.pointee.ai_next
        }
        var storage = sockaddr_storage()
        let length = chosen.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &storage) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: chosen.pointee.ai_addr, count: Int(length)))
        }
        return ClientAddress(storage: storage, length: length, name: "\(host):\(port)")
    }

    /// Result of starting a non-blocking connect.
    public enum ConnectStart: Sendable {
        /// Connected at once (common on loopback) or in progress: wait for writability, then `pendingError`.
        case started(fd: Int32, connected: Bool)
        /// Failed immediately; `errno` value.
        case failed(errno: Int32)
    }

    /// Creates a non-blocking, close-on-exec TCP socket with TCP_NODELAY and starts connecting it.
    public static func startConnect(to address: ClientAddress) -> ConnectStart {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed(errno: errno) }
        var one: Int32 = 1
        // Requests are small and written whole: Nagle would only add delay.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = address.storage
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
        }
        if rc == 0 { return .started(fd: fd, connected: true) }
        let code = errno
        if code == EINPROGRESS || code == EINTR { return .started(fd: fd, connected: false) }
        close(fd)
        return .failed(errno: code)
    }

    /// The outcome of a finished non-blocking connect (SO_ERROR): 0 when connected.
    public static func pendingError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { return errno }
        return code
    }

    /// Maps an `errno` from socket, connect, read or write to an error kind.
    public static func classify(errno code: Int32) -> ClientErrorKind {
        switch code {
        case ECONNREFUSED: return .refused
        case ECONNRESET, EPIPE, ECONNABORTED: return .reset
        case ETIMEDOUT: return .timeout
        default: return .other
        }
    }

    /// A short text for an `errno` value, e.g. "Connection refused (errno 111)".
    public static func describe(errno code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
