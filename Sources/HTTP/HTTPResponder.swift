// Completing a request: the responder handed to the handler, and the per-loop mailbox behind it.
import Glibc
import Synchronization

/// The handler's way to answer one request. Call `respond(_:)` exactly once, from any thread, now or later.
///
/// Responding on the serving thread inside the handler is the fast path: the response is queued without
/// waking anything and written together with the other responses of the same read. Responding from
/// another thread wakes the connection's serving loop through its eventfd. Pipelined requests are always
/// answered in request order, whatever order their responders are called in. Extra calls are ignored;
/// never calling it leaves the connection (and later pipelined requests on it) waiting.
public struct HTTPResponder: Sendable {
    private enum Target: Sendable {
        case loop(ServerLoopMailbox, ServerCompletionAddress)
        case callback(@Sendable (HTTPResponse) -> Void)
    }
    private let target: Target

    init(mailbox: ServerLoopMailbox, address: ServerCompletionAddress) {
        target = .loop(mailbox, address)
    }

    /// A responder that passes the response to `callback` (for calling handlers directly in tests or
    /// adapters, without a server).
    public init(_ callback: @escaping @Sendable (HTTPResponse) -> Void) {
        target = .callback(callback)
    }

    /// Sends `response` (the server adds `Content-Length`, and `Connection` when needed).
    public func respond(_ response: HTTPResponse) {
        switch target {
        case .loop(let mailbox, let address):
            mailbox.post(ServerCompletion(address: address, response: response))
        case .callback(let callback):
            callback(response)
        }
    }

    /// Fault injection (the demo's flaky dependency, like Toxiproxy's `reset_peer`): sends only the first
    /// `byteCount` bytes of `response` as encoded (status line, headers, body), then closes the connection with a
    /// TCP reset, so the client sees "connection reset by peer" in the middle of a response. A callback responder
    /// gets nothing (there is no connection to reset).
    public func reset(afterSending byteCount: Int, of response: HTTPResponse) {
        guard case .loop(let mailbox, var address) = target else { return }
        address.resetAfterBytes = max(0, byteCount)
        mailbox.post(ServerCompletion(address: address, response: response))
    }
}

/// Which connection and which request of it a completion answers, plus what the encoder needs to know
/// about that request.
struct ServerCompletionAddress: Sendable {
    var fd: Int32
    var connectionID: UInt64
    var sequence: UInt64
    var keepAlive: Bool
    var isHead: Bool
    var http10: Bool
    /// Set for the server's own error responses (400, 408, 413, 431...): close gently after writing.
    var isProtocolError = false
    /// Set by `HTTPResponder.reset(afterSending:of:)`: send this many bytes of the response, then reset.
    var resetAfterBytes: Int?
}

struct ServerCompletion: Sendable {
    var address: ServerCompletionAddress
    var response: HTTPResponse
    /// Set instead of a response: the next piece of the streamed body of `address`'s response.
    var piece: HTTPBodyPiece? = nil
}

/// A serving loop's inbox for completed responses, safe to post to from any thread.
///
/// Posts from the loop's own thread only append (the loop drains right after calling handlers);
/// posts from other threads also write the eventfd, at most once until the loop drains, so a burst of
/// completions costs one wakeup.
final class ServerLoopMailbox: Sendable {
    /// Readable when completions arrive from other threads (or a stop is requested).
    let eventFD: Int32
    private let ownerThread = Atomic<UInt>(0)
    private let queue = Mutex(Queue())

    private struct Queue: ~Copyable {
        var items: [ServerCompletion] = []
        var signaled = false
        var closed = false
    }

    init(eventFD: Int32) {
        self.eventFD = eventFD
    }

    deinit {
        // The eventfd lives as long as any responder can still post to it, so a late respond() never
        // writes into a closed (and possibly reused) descriptor.
        Glibc.close(eventFD)
    }

    /// Called by the loop thread when it starts.
    func bindToCurrentThread() {
        ownerThread.store(pthread_self(), ordering: .releasing)
    }

    func post(_ completion: ServerCompletion) {
        let onLoop = pthread_self() == ownerThread.load(ordering: .acquiring)
        let mustSignal = queue.withLock { queue -> Bool in
            if queue.closed { return false }  // server stopped: nobody will write it
            queue.items.append(completion)
            if onLoop || queue.signaled { return false }
            queue.signaled = true
            return true
        }
        if mustSignal { wake() }
    }

    /// Makes the loop's epoll_wait return.
    func wake() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(eventFD, $0.baseAddress, 8) }
    }

    /// Moves queued completions into `buffer` (which must be empty), swapping storage so neither side
    /// allocates in steady state.
    func drain(into buffer: inout [ServerCompletion]) {
        queue.withLock { queue in
            if queue.items.isEmpty {
                queue.signaled = false
                return
            }
            swap(&queue.items, &buffer)
            queue.signaled = false
        }
    }

    /// Stops accepting completions (the loop has exited); queued ones are dropped.
    func close() {
        queue.withLock { queue in
            queue.closed = true
            queue.items.removeAll()
        }
    }
}
