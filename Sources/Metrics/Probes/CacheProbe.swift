/// The `cache` knob's probe.
public struct CacheProbe: Sendable, Equatable {
    public var enabled: Bool = false
    public var hits: UInt64 = 0
    public var misses: UInt64 = 0
    public var evictions: UInt64 = 0
    public var entries: Int = 0
    public var bytes: Int = 0
    public var capacityBytes: Int = 0
    /// DB statements not executed thanks to hits.
    public var dbQueriesSaved: UInt64 = 0
    public init() {}
    public var hitRate: Double { hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses) }
}
