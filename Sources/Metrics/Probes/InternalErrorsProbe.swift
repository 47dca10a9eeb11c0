/// The backend's internal errors (500s and failures it survived, such as a failing `epoll_wait`), as the console's
/// Status panel and a run's `errors.log` see them. Fed by the backend's probe; readers never reach into the backend.
public struct InternalErrorsProbe: Sendable, Equatable {
    /// Internal errors since the backend started.
    public var total: UInt64 = 0
    /// The newest lines, oldest first (a bounded number: see `InternalErrorLog`). Lines are numbered, so a reader
    /// polling every tick appends only those it has not seen (and can tell how many it missed).
    public var recent: [InternalErrorLine] = []
    public init() {}
}

/// One line of the backend's error log, e.g. "2026-12-05T10:31:02Z internal error id=7f3a09c1e2b4 route=GET
/// /api/articles/:slug: SQLiteError(...)". `sequence` counts from 1.
public struct InternalErrorLine: Sendable, Equatable {
    public var sequence: UInt64
    public var text: String
    public init(sequence: UInt64, text: String) {
        self.sequence = sequence
        self.text = text
    }
}
