import Foundation
import Metrics
import Testing
@testable import Headless

/// `dyno soak`'s verdicts on fixed series (the live soak is driven by `dyno soak --duration …`).
@Suite struct SoakJudgeTests {
    static let mb: UInt64 = 1_048_576

    static func samples(anonMB: [Double], fds: [Int]? = nil, threads: [Int]? = nil) -> [ProcessSample] {
        anonMB.enumerated().map { i, v in
            ProcessSample(t: Double(i) * 60, rssBytes: UInt64(v * 2) * mb, rssAnonBytes: UInt64(v * Double(mb)),
                          fileDescriptors: fds?[i] ?? 40, threads: threads?[i] ?? 12)
        }
    }

    /// Anonymous RSS once a second: `mb(t)` megabytes at second t, for `seconds`.
    static func memory(seconds: Int, _ mb: (Double) -> Double) -> [MemorySample] {
        (0...seconds).map { MemorySample(t: Double($0), rssAnonBytes: UInt64(mb(Double($0)) * Double(Self.mb)), heapInUseBytes: 0) }
    }
    static let flat = memory(seconds: 300) { _ in 60 }

    static func windows(p99ms: [Double], errorRate: Double = 0) -> [SoakWindow] {
        p99ms.enumerated().map { i, v in SoakWindow(t: Double(i + 1) * 60, completed: 1000, errorRate: errorRate, p99Nanoseconds: UInt64(v * 1e6)) }
    }

    func outcome(_ name: String, _ o: [SoakJudge.Outcome]) -> SoakJudge.Outcome? { o.first { $0.name.hasPrefix(name) } }

    @Test func slopeIsLeastSquares() {
        #expect(SoakJudge.slope([0, 1, 2, 3], [1, 3, 5, 7]) == 2)
        #expect(SoakJudge.slope([1, 1], [0, 5]) == nil)
        #expect(SoakJudge.slope([1], [1]) == nil)
    }

    @Test func warmUpGrowthThatStopsIsFlat() {
        // +20 MB in the first 40 s (allocator, caches), then steady with ±1 MB of noise, for 10 minutes.
        let m = Self.memory(seconds: 600) { t in t < 40 ? 60 + t / 2 : 80 + sin(t) }
        #expect(SoakJudge().leak(m).verdict == .flat)
    }

    @Test func steadyGrowthIsALeak() {
        // +10 MB a minute with noise: the detector's slope and fit both say so.
        let m = Self.memory(seconds: 600) { t in 60 + t / 6 + sin(t) }
        let o = SoakJudge().judge(samples: Self.samples(anonMB: [60, 160]), memory: m, windows: Self.windows(p99ms: [5, 5, 5]))
        #expect(SoakJudge().leak(m).verdict == .growing)
        #expect(outcome("memory", o)?.passed == false)
        #expect(outcome("memory", o)?.measured.contains("+10.0 MB/min") == true)
    }

    @Test func aRunTooShortForAVerdictSaysSoAndFails() {
        let m = Self.memory(seconds: 12) { _ in 60 }
        #expect(SoakJudge().leak(m).verdict == .collecting)
        let o = SoakJudge().judge(samples: Self.samples(anonMB: [60, 60]), memory: m, windows: Self.windows(p99ms: [5]))
        #expect(outcome("memory", o)?.passed == false)
        #expect(outcome("memory", o)?.measured.hasPrefix("no verdict") == true)
    }

    @Test func memorySamplingKeepsAWeekUnder3600Samples() {
        #expect(SoakJudge.memoryIntervalSeconds(durationSeconds: 600) == 1)
        let week = 7 * 86400.0
        #expect(week / SoakJudge.memoryIntervalSeconds(durationSeconds: week) <= SoakJudge.maxMemorySamples)
    }

    @Test func descriptorAndThreadLeaksFail() {
        let s = Self.samples(anonMB: Array(repeating: 60, count: 5), fds: [40, 60, 80, 100, 120], threads: [12, 12, 13, 12, 12])
        let o = SoakJudge().judge(samples: s, memory: Self.flat, windows: Self.windows(p99ms: [5, 5]))
        #expect(outcome("file descriptors", o)?.passed == false)
        #expect(outcome("threads", o)?.passed == true)
    }

    @Test func errorRateAndP99DriftAreJudgedPerWindow() {
        let s = Self.samples(anonMB: Array(repeating: 60, count: 4))
        let healthy = SoakJudge().judge(samples: s, memory: Self.flat, windows: Self.windows(p99ms: [5, 6, 7]))
        #expect(healthy.allSatisfy { $0.passed })
        let drifting = SoakJudge().judge(samples: s, memory: Self.flat, windows: Self.windows(p99ms: [5, 8, 11]))
        #expect(outcome("p99 drift", drifting)?.passed == false)
        let failing = SoakJudge().judge(samples: s, memory: Self.flat, windows: Self.windows(p99ms: [5, 5, 5], errorRate: 0.05))
        #expect(outcome("error rate", failing)?.passed == false)
        let empty = SoakJudge().judge(samples: s, memory: Self.flat, windows: [])
        #expect(outcome("error rate", empty)?.passed == false)
        #expect(outcome("p99 drift", empty)?.passed == false)
    }
}
