import DemoBackend

/// The process's memory at one moment, for the leak detector (`verify`'s memory check and `dyno soak` sample it once
/// a second; embedded runs: the backend and the load generator share the process).
public struct MemorySample: Sendable, Equatable, Codable {
    /// Seconds since measuring started.
    public var t: Double
    /// Anonymous resident memory (heap, stacks): what grows when something leaks.
    public var rssAnonBytes: UInt64
    public var heapInUseBytes: UInt64
    public init(t: Double, rssAnonBytes: UInt64, heapInUseBytes: UInt64) {
        self.t = t; self.rssAnonBytes = rssAnonBytes; self.heapInUseBytes = heapInUseBytes
    }

    /// This process now (nil where /proc is not there).
    public static func read(at t: Double) -> MemorySample? {
        ProcessMemory.read().map { MemorySample(t: t, rssAnonBytes: $0.rssAnonBytes, heapInUseBytes: $0.heapInUseBytes) }
    }
}
