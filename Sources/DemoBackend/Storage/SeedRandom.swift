import Foundation

/// The seeder's deterministic PRNG: xoshiro256** seeded through SplitMix64.
///
/// Own sampling helpers (not the stdlib's `random(in:using:)`, whose algorithm may change between toolchains), so the
/// same seed gives the same data with any Swift version.
struct SeedRandom {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
    }

    /// An independent stream for one phase, so changing one phase's draws does not shift the others.
    func derived(_ stream: UInt64) -> SeedRandom {
        var copy = self
        return SeedRandom(seed: copy.next() ^ (stream &* 0xD6E8_FEB8_6659_FD93))
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) <<< 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 <<< 45
        return result
    }

    /// Uniform in 0..<bound (Lemire's multiply-and-reject: unbiased). `bound` must be > 0.
    @inline(__always)
    mutating func uniform(_ bound: Int) -> Int {
        let bound64 = UInt64(bound)
        var product = next().multipliedFullWidth(by: bound64)
        if product.low < bound64 {
            let threshold = (0 &- bound64) % bound64
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound64)
            }
        }
        return Int(product.high)
    }

    /// Uniform in `range`.
    @inline(__always)
    mutating func uniform(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + uniform(range.upperBound - range.lowerBound + 1)
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// True with probability `p`.
    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A uniformly chosen element (the array must not be empty).
    @inline(__always)
    mutating func pick<T>(_ elements: [T]) -> T { elements[uniform(elements.count)] }

    /// A random permutation of 0..<count (Fisher-Yates).
    mutating func permutation(_ count: Int) -> [Int32] {
        var result = (0..<count).map { Int32($0) }
        var i = count - 1
        while i > 0 {
            result.swapAt(i, uniform(i + 1))
            i -= 1
        }
        return result
    }
}

infix operator <<< : BitwiseShiftPrecedence

@inline(__always)
private func <<< (value: UInt64, amount: UInt64) -> UInt64 {
    (value << amount) | (value >> (64 - amount))
}

/// Zipf-like popularity over ranks 0..<count: P(rank k) ∝ 1 / (k + 1)^exponent. Sampling is a binary search of the
/// cumulative distribution (no allocation per draw).
struct ZipfDistribution {
    private let cumulative: [Double]

    init(count: Int, exponent: Double) {
        precondition(count > 0, "ZipfDistribution needs at least one rank")
        var cumulative = [Double]()
        cumulative.reserveCapacity(count)
        var sum = 0.0
        for k in 1...count {
            sum += 1.0 / pow(Double(k), exponent)
            cumulative.append(sum)
        }
        self.cumulative = cumulative.map { $0 / sum }
    }

    var count: Int { cumulative.count }

    /// A rank in 0..<count; rank 0 is the most likely.
    @inline(__always)
    func sample(_ random: inout SeedRandom) -> Int {
        let u = random.unit()
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] > u { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
