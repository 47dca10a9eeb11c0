// The state of one accepted connection, owned by one serving loop.

/// Per-connection state. Only its serving loop's thread touches it.
final class ServerConnection {
    let fd: Int32
    let id: UInt64
    var parser: ServerRequestParser

    /// Received bytes not yet consumed by the parser (empty in the common case: requests usually arrive
    /// whole and are parsed straight from the loop's shared read buffer).
    var pending: [UInt8] = []
    /// Encoded responses not yet sent, from `outputOffset` on.
    var output: [UInt8] = []
    var outputOffset = 0

    /// Sequence number for the next parsed request.
    var nextSequence: UInt64 = 0
    /// Sequence number of the next response to encode (responses go out in request order).
    var nextToWrite: UInt64 = 0
    /// Completions that arrived before an earlier request's (rare: async handlers, pipelining).
    var outOfOrder: [ServerCompletion] = []
    /// The streamed body being sent (`HTTPResponse.stream`). Its response (`nextToWrite`) stays in flight until
    /// the stream ends; later responses wait in `outOfOrder`.
    var stream: ServerStream?

    /// No more requests will be read (Connection: close, parse error, peer EOF, or server stopping).
    var readClosed = false
    /// The peer has shut down its sending side (read returned 0): never read the socket again.
    var peerEOF = false
    /// A response that ends the connection has been encoded: close once the output is sent.
    var closeAfterFlush = false
    /// Close gently (shutdown + drain) because the peer may still be sending.
    var lingerOnClose = false
    /// Close with a TCP reset (SO_LINGER 0) once the output is sent: `HTTPResponder.reset(afterSending:of:)`.
    var resetOnClose = false
    /// In the lingering phase: our side is shut down, we discard input until EOF or `lingerDeadline`.
    var lingering = false
    var lingerDeadline: UInt64 = 0
    /// Output could not be sent completely; waiting for EPOLLOUT.
    var writeBlocked = false
    /// Parsing (and reading) stopped because `maxPipelinedRequests` requests are in flight or more than
    /// `maxOutputBufferBytes` of responses are unsent (back-pressure on a client that does not read).
    var pipelineStalled = false
    /// Stalled because of unsent output (counted in `HTTPServerStats.backPressuredConnections`).
    var backPressured = false
    /// The connection is in the loop's list of connections with output to send.
    var isDirty = false

    /// Part of a request head has arrived (since `headStartedAt`) but not all of it.
    var awaitingHead = false
    var headStartedAt: UInt64 = 0
    /// A request head has been parsed but not all of its body has arrived (since `bodyStartedAt`).
    var awaitingBody = false
    var bodyStartedAt: UInt64 = 0
    /// Last time bytes moved in either direction.
    var lastActivity: UInt64
    /// Events currently registered with epoll.
    var interest: UInt32

    init(fd: Int32, id: UInt64, parser: ServerRequestParser, now: UInt64, interest: UInt32) {
        self.fd = fd
        self.id = id
        self.parser = parser
        self.lastActivity = now
        self.interest = interest
    }

    /// Requests handed to the handler whose responses have not been encoded yet.
    var inFlight: Int { Int(nextSequence &- nextToWrite) }

    var hasUnsentOutput: Bool { outputOffset < output.count }

    /// Encoded response bytes not yet sent.
    var unsentBytes: Int { output.count - outputOffset }
}

/// A response body being streamed on a connection (see `HTTPBodyStream`). Only the serving loop touches it.
final class ServerStream {
    let body: any HTTPBodyStream
    /// The streamed response's request (pieces are posted to the mailbox under this address).
    let address: ServerCompletionAddress
    /// Chunked transfer coding (HTTP/1.1); false: the body ends when the connection closes (HTTP/1.0).
    let chunked: Bool
    /// Close the connection once the body is out (`Connection: close` was sent).
    let closeAtEnd: Bool
    /// `next` was called and its piece has not arrived yet.
    var awaitingPiece = false

    init(body: any HTTPBodyStream, address: ServerCompletionAddress, chunked: Bool, closeAtEnd: Bool) {
        self.body = body
        self.address = address
        self.chunked = chunked
        self.closeAtEnd = closeAtEnd
    }
}
