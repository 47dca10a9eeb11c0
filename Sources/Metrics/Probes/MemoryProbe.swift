/// The `memory` knob's probe: the process's memory split by kind, the leak detector's reading, and the knob's
/// structure (the memo of rendered responses).
public struct MemoryProbe: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable {
        /// The memo never evicts (naive: a leak).
        case unbounded
        /// The memo has a byte bound and an expiry (optimized).
        case bounded
    }
    public var mode: Mode = .bounded
    /// Anonymous resident pages (heap, stacks): what a leak grows.
    public var rssAnonBytes: UInt64 = 0
    /// File-backed resident pages (the mapped database, libraries): page cache, not a leak.
    public var rssFileBytes: UInt64 = 0
    /// malloc'd and not freed (glibc `mallinfo2`).
    public var heapInUseBytes: UInt64 = 0
    /// Free bytes malloc keeps in its arenas.
    public var heapFreeBytes: UInt64 = 0
    /// The detector over anonymous RSS: its verdict is THE leak verdict.
    public var anon = LeakAssessment()
    /// The same fit over heap in use (shown beside it).
    public var heap = LeakAssessment()
    /// The rule's numbers, for the panel's footnote.
    public var rule = LeakDetector.Configuration()
    public var memoEntries: Int = 0
    public var memoBytes: Int = 0
    public var memoHits: UInt64 = 0
    public var memoMisses: UInt64 = 0
    public var memoEvictions: UInt64 = 0
    public init() {}
}
