// The public HTTP/1.1 server: binds, runs N epoll serving threads, stops gracefully.
import Glibc
import Synchronization

/// Handles one request. Must call `responder.respond(_:)` exactly once, from any thread, now or later.
///
/// The handler runs on a serving thread: do quick work inline and respond before returning (the fast
/// path), or hand slow work to another thread and respond from there. Blocking inside the handler blocks
/// every connection of that serving thread.
public typealias HTTPHandler = @Sendable (HTTPRequest, HTTPResponder) -> Void

/// An HTTP/1.1 server on POSIX sockets and epoll: N serving threads, each with its own event loop, no
/// thread per connection. Keep-alive, pipelining (answered in order), Content-Length and chunked request
/// bodies, size limits and timeouts. See `HTTPServerConfiguration` for defaults.
///
/// ```swift
/// let server = HTTPServer(configuration: .init()) { request, responder in
///     responder.respond(HTTPResponse(status: 200, body: Array("hello".utf8)))
/// }
/// let port = try server.start()
/// defer { server.stop() }
/// ```
public final class HTTPServer: Sendable {
    private let configuration: HTTPServerConfiguration
    private let handler: HTTPHandler
    private let counters: [ServerLoopCounters]
    private let boundPort = Atomic<Int>(0)
    private let state = Mutex<RunState>(.idle)

    private enum RunState {
        case idle
        case running(listenFD: Int32, handles: [ServerLoopHandle], threads: [pthread_t])
        case stopped
    }

    /// Creates a server; nothing is bound until `start()`.
    public init(configuration: HTTPServerConfiguration, handler: @escaping HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
        counters = (0..<max(1, configuration.threads)).map { _ in ServerLoopCounters() }
    }

    deinit {
        stop()
    }

    /// The bound port (0 before `start()`).
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// Binds `host:port`, starts the serving threads and returns the bound port.
    /// Throws `HTTPServerError` naming the address and the failing call (e.g. port in use); a server can be
    /// started once.
    @discardableResult
    public func start() throws -> Int {
        try state.withLock { state in
            guard case .idle = state else { throw HTTPServerError("HTTPServer.start(): already started") }
            let listenFD = try Self.listen(host: configuration.host, port: configuration.port,
                                           backlog: configuration.backlog)
            var handles: [ServerLoopHandle] = []
            var threads: [pthread_t] = []
            do {
                for counter in counters {
                    let epollFD = ServerSys.epollCreate()
                    guard epollFD >= 0 else { throw HTTPServerError("epoll_create1 failed: errno \(errno)") }
                    let eventFD = ServerSys.eventFD()
                    guard eventFD >= 0 else {
                        Glibc.close(epollFD)
                        throw HTTPServerError("eventfd failed: errno \(errno)")
                    }
                    let handle = ServerLoopHandle(mailbox: ServerLoopMailbox(eventFD: eventFD), counters: counter)
                    let configuration = configuration, handler = handler
                    do {
                        threads.append(try ServerThread.spawn {
                            ServerEventLoop(epollFD: epollFD, listenFD: listenFD, handle: handle,
                                            configuration: configuration, handler: handler).run()
                        })
                    } catch {
                        Glibc.close(epollFD)
                        throw error
                    }
                    handles.append(handle)
                }
            } catch {
                for handle in handles { handle.requestStop() }
                for thread in threads { ServerThread.join(thread) }
                Glibc.close(listenFD)
                throw error
            }
            boundPort.store(Self.localPort(of: listenFD), ordering: .releasing)
            state = .running(listenFD: listenFD, handles: handles, threads: threads)
        }
        return port
    }

    /// Stops gracefully: stops accepting, lets in-flight requests finish and their responses go out (up to
    /// `shutdownGracePeriod`), closes every connection and joins the serving threads. Idempotent.
    /// Do not call it from a handler (it waits for the serving threads).
    public func stop() {
        let running = state.withLock { state -> (Int32, [ServerLoopHandle], [pthread_t])? in
            guard case .running(let listenFD, let handles, let threads) = state else {
                state = .stopped
                return nil
            }
            state = .stopped
            return (listenFD, handles, threads)
        }
        guard let (listenFD, handles, threads) = running else { return }
        for handle in handles { handle.requestStop() }
        for thread in threads { ServerThread.join(thread) }
        Glibc.close(listenFD)
    }

    /// Current counters, summed over serving threads (busy time stays per thread).
    public var stats: HTTPServerStats {
        var stats = HTTPServerStats(openConnections: 0, acceptedConnections: 0, requestsServed: 0,
                                    protocolErrors: 0, busyNanoseconds: [])
        stats.busyNanoseconds.reserveCapacity(counters.count)
        for counter in counters {
            stats.openConnections += counter.openConnections.load(ordering: .relaxed)
            stats.acceptedConnections += counter.acceptedConnections.load(ordering: .relaxed)
            stats.requestsServed += counter.requestsServed.load(ordering: .relaxed)
            stats.protocolErrors += counter.protocolErrors.load(ordering: .relaxed)
            stats.busyNanoseconds.append(counter.busyNanoseconds.load(ordering: .relaxed))
        }
        return stats
    }

    // MARK: - Socket set-up

    private static func listen(host: String, port: Int, backlog: Int) throws -> Int32 {
        guard (0...65535).contains(port) else {
            throw HTTPServerError("invalid port \(port) (expected 0...65535)")
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw HTTPServerError("invalid host '\(host)' (expected an IPv4 address such as 127.0.0.1)")
        }
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
            throw HTTPServerError("listen on \(host):\(port) failed: errno \(error)")
        }
        return fd
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
