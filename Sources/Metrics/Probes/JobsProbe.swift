/// The `jobs` knob's probe (the heavy report endpoint's background work).
public struct JobsProbe: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable {
        /// Reports are computed on the request.
        case inline
        /// Reports go to the durable job queue.
        case queued
    }
    public var mode: Mode = .inline
    /// Jobs waiting (queued, or failed and waiting for their retry).
    public var queueDepth: Int = 0
    /// Jobs a worker runs now.
    public var running: Int = 0
    public var workers: Int = 0
    /// Totals since start: finished, failed attempts, attempts scheduled again, given up.
    public var completed: UInt64 = 0
    public var failed: UInt64 = 0
    public var retried: UInt64 = 0
    public var dead: UInt64 = 0
    /// Enqueue → done.
    public var latency = LatencySummary()
    public init() {}
}
