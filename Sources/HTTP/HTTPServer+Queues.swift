import CLinuxShim
import Glibc

/// What waits on a server outside its own buffers, as the kernel sees it: requests that arrived and that no
/// serving thread has read yet. With `serving=blocking` this is the queue that grows without bound.
public struct HTTPServerQueues: Sendable, Equatable {
    /// Open connections holding request bytes the server has not read (accepted or not).
    public var connectionsWithUnreadRequests: Int
    /// Connections the kernel completed that no serving thread has accepted (the listen backlog in use).
    public var acceptQueue: Int

    public init(connectionsWithUnreadRequests: Int, acceptQueue: Int) {
        self.connectionsWithUnreadRequests = connectionsWithUnreadRequests
        self.acceptQueue = acceptQueue
    }
}

/// When `kernelQueues` last walked the established sockets, and what it counted.
struct EstablishedWalk {
    var monotonicNanoseconds: UInt64 = 0
    var connectionsWithUnreadRequests: Int?
}

extension HTTPServer {
    /// How often `kernelQueues` walks the established sockets at most. The kernel answers that part of the query
    /// by visiting every bucket of its established-socket hash table (262,144 here), however few sockets there
    /// are: ≈ 4–5 ms of kernel time per query on this machine, on one of the cores the server serves on. At the
    /// probe's 10 Hz it stalled requests often enough to show in every route's p99; once a second it doesn't.
    static let establishedWalkIntervalNanoseconds: UInt64 = 1_000_000_000

    /// The kernel's view of the waiting connections: sock_diag netlink queries (what `ss` uses), filtered by the
    /// server's port in the kernel. The listen backlog is read on every call (the listening sockets only, ≈ 30 µs);
    /// the connections with unread requests at most once per `establishedWalkIntervalNanoseconds` (the last count
    /// in between). Meant for a probe once per tick, not per request. nil before the server is bound, or where the
    /// kernel refuses the query (some sandboxes): then nobody knows, and panels say so.
    public func kernelQueues() -> HTTPServerQueues? {
        let port = self.port
        guard port > 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nanoseconds = UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
        let walk = establishedWalk.withLock { last in
            last.connectionsWithUnreadRequests == nil
                || nanoseconds &- last.monotonicNanoseconds >= Self.establishedWalkIntervalNanoseconds
        }
        var queues = dyno_tcp_server_queues()
        guard dyno_read_tcp_server_queues(UInt16(port), walk ? 1 : 0, &queues) == 0 else { return nil }
        let unread = establishedWalk.withLock { last in
            if walk {
                last = EstablishedWalk(monotonicNanoseconds: nanoseconds,
                                       connectionsWithUnreadRequests: Int(queues.connections_with_unread_bytes))
            }
            return last.connectionsWithUnreadRequests ?? 0
        }
        return HTTPServerQueues(connectionsWithUnreadRequests: unread, acceptQueue: Int(queues.accept_queue))
    }
}
