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
    private let state: Mutex<RunState>
    /// The last walk of the established sockets (`kernelQueues`).
    let establishedWalk = Mutex(EstablishedWalk())

    private enum RunState {
        case idle
        case bound(HTTPListener)
        case running(HTTPListener, handles: [ServerLoopHandle], threads: [pthread_t])
        case stopped
    }

    /// Creates a server; nothing is bound until `bind()` or `start()`.
    public convenience init(configuration: HTTPServerConfiguration, handler: @escaping HTTPHandler) {
        self.init(configuration: configuration, listener: nil, handler: handler)
    }

    /// Creates a server that serves on `listener`, a socket bound beforehand (see `HTTPListener`), or
    /// binds `configuration.host`/`port` itself when it is nil.
    public init(configuration: HTTPServerConfiguration, listener: HTTPListener?,
                handler: @escaping HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
        counters = (0..<max(1, configuration.threads)).map { _ in ServerLoopCounters() }
        state = Mutex(listener.map { .bound($0) } ?? .idle)
        if let listener { boundPort.store(listener.port, ordering: .releasing) }
    }

    deinit {
        stop()
    }

    /// The bound port (0 before `bind()` or `start()`).
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// Binds `host:port` and listens, without serving yet (connections wait in the backlog until `start()`);
    /// returns the bound port. Lets a program fail fast on a bad host or a busy port before slow set-up.
    /// Throws `HTTPServerError` naming the address and the failing call. Idempotent once bound.
    @discardableResult
    public func bind() throws -> Int {
        try state.withLock { state in
            switch state {
            case .idle:
                let listener = try HTTPListener(host: configuration.host, port: configuration.port,
                                                backlog: configuration.backlog)
                boundPort.store(listener.port, ordering: .releasing)
                state = .bound(listener)
            case .bound, .running:
                break
            case .stopped:
                throw HTTPServerError("HTTPServer.bind(): the server was stopped")
            }
        }
        return port
    }

    /// Binds (unless `bind()` did already), starts the serving threads and returns the bound port.
    /// Throws `HTTPServerError` naming the address and the failing call (e.g. port in use); a server can be
    /// started once.
    @discardableResult
    public func start() throws -> Int {
        try bind()
        try state.withLock { state in
            guard case .bound(let listener) = state else { throw HTTPServerError("HTTPServer.start(): already started") }
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
                    let configuration = configuration, handler = handler, listenFD = listener.fd
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
                listener.close()
                state = .stopped
                throw error
            }
            state = .running(listener, handles: handles, threads: threads)
        }
        return port
    }

    /// Stops gracefully: stops accepting, lets in-flight requests finish and their responses go out (up to
    /// `shutdownGracePeriod`), closes every connection and joins the serving threads. Idempotent.
    /// Do not call it from a handler (it waits for the serving threads).
    public func stop() {
        let previous = state.withLock { state -> RunState in
            defer { state = .stopped }
            return state
        }
        switch previous {
        case .running(let listener, let handles, let threads):
            for handle in handles { handle.requestStop() }
            for thread in threads { ServerThread.join(thread) }
            listener.close()
        case .bound(let listener):
            listener.close()
        case .idle, .stopped:
            break
        }
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
            stats.backPressuredConnections += counter.backPressuredConnections.load(ordering: .relaxed)
            stats.peakStreamUnsentBytes = max(stats.peakStreamUnsentBytes, counter.peakStreamUnsentBytes.load(ordering: .relaxed))
            stats.droppedResponses += counter.droppedResponses.load(ordering: .relaxed)
            stats.busyNanoseconds.append(counter.busyNanoseconds.load(ordering: .relaxed))
        }
        return stats
    }
}
