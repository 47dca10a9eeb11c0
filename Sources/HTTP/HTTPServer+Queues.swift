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

extension HTTPServer {
    /// The kernel's view of the waiting connections: one sock_diag netlink query (what `ss` uses), filtered by
    /// the server's port in the kernel. Meant for a probe once per tick, not per request. nil before the server
    /// is bound, or where the kernel refuses the query (some sandboxes): then nobody knows, and panels say so.
    public func kernelQueues() -> HTTPServerQueues? {
        let port = self.port
        guard port > 0 else { return nil }
        var queues = dyno_tcp_server_queues()
        guard dyno_read_tcp_server_queues(UInt16(port), &queues) == 0 else { return nil }
        return HTTPServerQueues(connectionsWithUnreadRequests: Int(queues.connections_with_unread_bytes),
                                acceptQueue: Int(queues.accept_queue))
    }
}
