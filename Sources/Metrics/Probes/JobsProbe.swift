/// The `jobs` knob's probe.
public struct JobsProbe: Sendable, Equatable {
    public var enabled: Bool = false
    public var queueDepth: Int = 0
    public var running: Int = 0
    public var completed: UInt64 = 0
    public var failed: UInt64 = 0
    public var retried: UInt64 = 0
    public var latency = LatencySummary()
    public init() {}
}
