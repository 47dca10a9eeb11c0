// The server's listening socket, bound on its own so a program can claim its address before slow set-up.
import Glibc
import Synchronization

/// A bound, listening TCP socket (IPv4). Create it first to fail fast on a bad host or a busy port (exit
/// before seeding a database, say), then hand it to `HTTPServer(configuration:listener:handler:)`.
/// Closed by the server's `stop()`, by `close()`, or when released.
public final class HTTPListener: Sendable {
    let fd: Int32
    /// The bound port (the kernel's pick when asked for port 0).
    public let port: Int
    private let closed = Atomic<Bool>(false)

    /// Resolves `host` (a dotted quad, or a name such as `localhost` that resolves to IPv4), binds
    /// `host:port` and listens. Throws `HTTPServerError` naming the address and what failed (e.g.
    /// "address already in use").
    public init(host: String, port: Int, backlog: Int = 1024) throws {
        guard (0...65535).contains(port) else {
            throw HTTPServerError("invalid port \(port) (expected 0...65535)")
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr = try Self.resolve(host)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                        | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError("socket() failed: errno \(errno)") }
        var one: Int32 = 1
        // SO_REUSEADDR only lets us rebind a port whose old connections sit in TIME_WAIT.
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if bound != 0 {
            let error = errno
            Glibc.close(fd)
            throw HTTPServerError("bind \(host):\(port) failed: \(String(cString: strerror(error))) (errno \(error))")
        }
        if Glibc.listen(fd, Int32(clamping: backlog)) != 0 {
            let error = errno
            Glibc.close(fd)
            throw HTTPServerError("listen on \(host):\(port) failed: \(String(cString: strerror(error))) (errno \(error))")
        }
        self.fd = fd
        self.port = Self.localPort(of: fd)
    }

    deinit { close() }

    /// Closes the socket (idempotent). New connections are refused from then on.
    public func close() {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) { Glibc.close(fd) }
    }

    private static func resolve(_ host: String) throws -> in_addr {
        var address = in_addr()
        if inet_pton(AF_INET, host, &address) == 1 { return address }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        defer { if let result { freeaddrinfo(result) } }
        guard status == 0, let first = result, let raw = first.pointee.ai_addr else {
            let why = status == 0 ? "no IPv4 address" : String(cString: gai_strerror(status))
            throw HTTPServerError("invalid host '\(host)': \(why) (expected an IPv4 address such as 127.0.0.1 or a name that resolves to one)")
        }
        return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
    }

    private static func localPort(of fd: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
