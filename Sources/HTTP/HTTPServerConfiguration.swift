// Configuration and statistics of the HTTP/1.1 server.
import Glibc
import Synchronization

/// How an `HTTPServer` listens, how many serving threads it runs, and its protective limits.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind (IPv4 dotted quad). Default `127.0.0.1`: loopback only unless told otherwise.
    public var host = "127.0.0.1"
    /// Port to bind; 0 (the default) lets the kernel pick a free one (read it from `start()` or `port`).
    public var port = 0
    /// Serving threads, each with its own epoll loop. Default: the number of online cores.
    public var threads = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// Limit for request line + headers. Over it the server answers 431 and closes. Default 16 KiB.
    public var maxHeaderBytes = 16 * 1024
    /// Limit for a request body. Over it the server answers 413 and closes. Default 1 MiB.
    public var maxBodyBytes = 1 << 20
    /// How long a keep-alive connection may sit with no request before it is closed. Default 60 s.
    public var idleTimeout: Duration = .seconds(60)
    /// How long a started request may take to deliver its complete headers before the server answers
    /// 408 and closes (slowloris protection). Default 10 s.
    public var headerReadTimeout: Duration = .seconds(10)
    /// How long the body of a request may take to arrive in full, counted from the end of its head, before
    /// the server answers 408 and closes (slow-body protection: without it every trickled byte would reset
    /// the idle timer). 20 s lets a 1 MiB body through at 52 KB/s. Default 20 s.
    public var bodyReadTimeout: Duration = .seconds(20)
    /// Listen backlog (the kernel caps it at net.core.somaxconn). Default 1024.
    public var backlog = 1024
    /// Most requests of one connection that may be in the handler or waiting to be encoded at once
    /// (pipelining depth); further pipelined requests wait unread. Default 16: with the output limit below
    /// it bounds what one connection can make the server hold (16 responses + `maxOutputBufferBytes`).
    public var maxPipelinedRequests = 16
    /// Unsent response bytes of one connection above which the server stops reading (and parsing) that
    /// connection's requests until the client has read enough of them, as nginx and HAProxy do: a client
    /// that pipelines requests and never reads cannot make the server buffer without bound. Default 1 MiB.
    public var maxOutputBufferBytes = 1 << 20
    /// How long `stop()` waits for in-flight requests before closing their connections. Default 5 s.
    public var shutdownGracePeriod: Duration = .seconds(5)
    /// Where the server reports failures it survives (a failing `epoll_wait`), one line each. Default: stderr.
    public var errorSink: @Sendable (String) -> Void = { line in
        var text = Array((line + "\n").utf8)
        _ = write(2, &text, text.count)
    }

    /// The wall clock's current second (since 1970, UTC) for the `Date` header; each serving loop reads it once per
    /// batch of events and re-formats the header only when it changes. Tests substitute a clock they step.
    public var wallClockSeconds: @Sendable () -> Int = { Int(time(nil)) }
    public init() {}

    public init(host: String = "127.0.0.1", port: Int = 0, threads: Int? = nil) {
        self.host = host
        self.port = port
        if let threads { self.threads = threads }
    }
}

/// A snapshot of the server's counters. Cheap to take (a few atomic loads per thread).
public struct HTTPServerStats: Sendable, Equatable {
    /// Connections currently open.
    public var openConnections: Int
    /// Connections accepted since start.
    public var acceptedConnections: Int
    /// Responses written since start (including error responses such as 400/408/413/431).
    public var requestsServed: Int
    /// Requests rejected by the parser or timed out (400, 408, 413, 431, 501, 505) since start.
    public var protocolErrors: Int
    /// Connections whose requests are not being read right now because the client is not reading its
    /// responses (more than `maxOutputBufferBytes` unsent): back-pressure at work.
    public var backPressuredConnections: Int = 0
    /// Responses dropped unencoded because their connection had closed (the client left) since start.
    public var droppedResponses: Int = 0
    /// The most unsent bytes a streaming connection held after taking a piece of its stream, since start: with
    /// back-pressure working it stays under `maxOutputBufferBytes` plus one piece, however long the stream.
    public var peakStreamUnsentBytes: Int = 0
    /// Per serving thread: nanoseconds spent working (parsing, in the handler, writing), as opposed to
    /// waiting in epoll. Differences between two snapshots over wall time give the busy ratio.
    public var busyNanoseconds: [UInt64]
}

/// Counters of one serving loop; written by its thread, read by anyone.
final class ServerLoopCounters: Sendable {
    let openConnections = Atomic<Int>(0)
    let acceptedConnections = Atomic<Int>(0)
    let requestsServed = Atomic<Int>(0)
    let protocolErrors = Atomic<Int>(0)
    let backPressuredConnections = Atomic<Int>(0)
    let droppedResponses = Atomic<Int>(0)
    let peakStreamUnsentBytes = Atomic<Int>(0)
    let busyNanoseconds = Atomic<UInt64>(0)

    /// Single writer (the loop thread), so a relaxed load + store is enough and cheaper than an RMW.
    @inline(__always)
    func bump(_ counter: borrowing Atomic<Int>, by delta: Int = 1) {
        counter.store(counter.load(ordering: .relaxed) &+ delta, ordering: .relaxed)
    }

    /// Raises a high-water mark (single writer, as `bump`).
    @inline(__always)
    func raise(_ counter: borrowing Atomic<Int>, to value: Int) {
        if value > counter.load(ordering: .relaxed) { counter.store(value, ordering: .relaxed) }
    }
}
