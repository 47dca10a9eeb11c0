/// The `pool` / `pool_size` knobs' probe.
public struct PoolProbe: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable {
        /// A new SQLite connection per request (naive).
        case perRequest = "per-request"
        /// A bounded pool of `size` connections.
        case pool
    }
    public var mode: Mode = .pool
    public var size: Int = 0
    public var inUse: Int = 0
    public var idle: Int = 0
    public var waiters: Int = 0
    public var acquires: UInt64 = 0
    public var timeouts: UInt64 = 0
    public var acquireTime = LatencySummary()
    public init() {}
}
