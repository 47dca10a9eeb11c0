/// A response body produced piece by piece, sent with chunked transfer coding (RFC 9112 §7.1), in constant memory
/// however long it is.
///
/// Back-pressure is built into the contract: the server asks for the next piece only when the connection has
/// written out what it had (its unsent output is below the server's limit), and never asks again before the
/// previous piece arrived. A client that reads slowly therefore slows the producer down instead of filling memory.
/// The producer may do its work on any thread (the backend uses its worker pool, so a database read never runs on
/// a serving thread) and calls `deliver` from there; the server's loop is woken as for an asynchronous response.
public protocol HTTPBodyStream: Sendable {
    /// Produce the next piece and call `deliver` exactly once.
    func next(_ deliver: @escaping @Sendable (HTTPBodyPiece) -> Void)
    /// The connection went away (or the server stopped) before the end: release what the stream holds.
    /// `next` is not called again.
    func cancel()
}

/// What a stream hands the server each time it is asked.
public enum HTTPBodyPiece: Sendable {
    /// More body (an empty array is skipped).
    case bytes([UInt8])
    /// The body is complete: the server writes the last chunk.
    case end
    /// The producer failed after the head went out: the server closes the connection without the last chunk, so
    /// the client sees a truncated body rather than a complete-looking wrong one (RFC 9112 §7.1).
    case abort
}
