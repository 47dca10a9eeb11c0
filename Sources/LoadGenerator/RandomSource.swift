// Deterministic randomness for the request mix and template values.
#if canImport(Glibc)
import Glibc
#endif

/// xoshiro256** seeded through SplitMix64: fast, good quality, and the same sequence for the same seed,
/// so a run's request sequence per worker is reproducible.
struct RandomSource: Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var x = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&x); s1 = splitMix(&x); s2 = splitMix(&x); s3 = splitMix(&x)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in 0..<bound (bound > 0), without modulo bias worth caring about (Lemire's multiply-shift).
    @inline(__always)
    mutating func next(below bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}

/// Picks an index into a list of `count` items with a fixed distribution, in O(log n) and without allocating.
struct IndexSampler: Sendable {
    let count: Int
    /// Cumulative weights normalised to 1 (empty for uniform).
    private let cumulative: [Double]

    /// Uniform over `count` items.
    init(uniformOver count: Int) {
        self.count = count
        cumulative = []
    }

    /// Proportional to `weights` (all ≥ 0, sum > 0).
    init(weights: [Double]) {
        count = weights.count
        let total = weights.reduce(0, +)
        var running = 0.0
        cumulative = weights.map { running += $0; return running / total }
    }

    /// Zipf: rank k (1-based, list order) has weight 1/k^s.
    init(zipfOver count: Int, s: Double) {
        self.init(weights: (1...max(count, 1)).map { 1 / pow(Double($0), s) })
    }

    init(_ distribution: ValueDistribution, count: Int) {
        switch distribution {
        case .uniform: self.init(uniformOver: count)
        case .zipf(let s): self.init(zipfOver: count, s: s)
        }
    }

    @inline(__always)
    func sample(_ random: inout RandomSource) -> Int {
        if cumulative.isEmpty { return random.next(below: count) }
        let u = random.nextUnit()
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] > u { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
