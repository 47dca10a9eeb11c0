/// The `serving` knob's probe.
public struct ServingProbe: Sendable, Equatable {
    public enum Model: String, Sendable, Equatable {
        /// Handler work on the serving threads (naive).
        case blocking
        /// Handler work on a bounded worker pool, responses completed asynchronously.
        case offloaded
    }
    public var model: Model = .blocking
    /// Fraction of time the serving threads were busy over the last interval, 0...1.
    public var busyRatio: Double = 0
    public var workerQueueLength: Int = 0
    public var workerBusy: Int = 0
    public var workerThreads: Int = 0
    /// Connections holding requests no serving thread has read yet, as the kernel sees them (with `blocking`,
    /// the queue behind busy serving threads, which nothing bounds); nil when the kernel does not say.
    public var connectionsWaiting: Int? = nil
    /// Connections not accepted yet (the listen backlog in use); nil when the kernel does not say.
    public var acceptQueue: Int? = nil
    public init() {}
}
