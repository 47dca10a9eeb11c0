/// A named operation for `dyno bench`: `make()` prepares it (data, connections) outside the timing and returns the
/// loop that performs it `iterations` times. Each module lists the benchmarks of its critical operations next to
/// the code they measure (they reach internals), and `dyno bench` runs them all.
public struct Benchmark: Sendable {
    public typealias Loop = @Sendable (_ iterations: Int) -> Void
    public let name: String
    public let summary: String
    public let make: @Sendable () throws -> Loop

    public init(_ name: String, _ summary: String, make: @escaping @Sendable () throws -> Loop) {
        self.name = name
        self.summary = summary
        self.make = make
    }
}

/// Keeps a value alive so the optimizer cannot drop the work that produced it.
@inline(never)
public func benchmarkBlackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// The metrics module's own critical operations.
public enum MetricsBenchmarks {
    public static let all: [Benchmark] = [
        Benchmark("histogram.record", "LatencyHistogram.record of a spread of latencies (the load workers' hot path)") {
            { n in
                var h = LatencyHistogram()
                var v: UInt64 = 1_000
                for _ in 0..<n {
                    h.record(nanoseconds: v)
                    v = v &* 6364136223846793005 &+ 1442695040888963407 >> 40   // spread over 1 µs … 16 ms
                }
                benchmarkBlackHole(h)
            }
        },
        Benchmark("histogram.atomic-record", "AtomicLatencyHistogram.record (the backend's per-route recording)") {
            let h = AtomicLatencyHistogram()
            return { n in for i in 0..<n { h.record(nanoseconds: UInt64(1_000 + i & 0xFFFFF)) } }
        },
    ]
}
