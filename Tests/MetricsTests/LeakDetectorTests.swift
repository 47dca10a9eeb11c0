import Metrics
import Testing

@Suite struct LeakDetectorTests {
    /// One sample a second from `series(t)`, for `seconds` seconds.
    static func run(_ seconds: Int, configuration: LeakDetector.Configuration = .init(),
                    _ series: (Int) -> Double) -> LeakAssessment {
        var detector = LeakDetector(configuration: configuration)
        for t in 0..<seconds { detector.record(atSeconds: Double(t), bytes: series(t)) }
        return detector.assessment
    }

    /// A deterministic ±2 MiB wobble (what a bounded process shows).
    static func wobble(_ t: Int) -> Double { Double((t &* 7919) % 41 - 20) * 100 * 1024 }

    @Test func steadyGrowthIsGrowing() {
        let a = Self.run(120) { 50e6 + Double($0) * 128 * 1024 + Self.wobble($0) }
        #expect(a.verdict == .growing)
        #expect(abs(a.slopeBytesPerSecond - 128 * 1024) < 16 * 1024)
        #expect(a.fit > 0.8)
    }

    @Test func noisyFlatIsFlat() {
        let a = Self.run(120) { 50e6 + Self.wobble($0) }
        #expect(a.verdict == .flat)
        #expect(abs(a.slopeBytesPerSecond) < 16 * 1024)
    }

    @Test func growthDuringWarmUpOnlyIsFlat() {
        // Fills for 30 s (a cache warming), then stays: the warm-up hides the fill.
        let a = Self.run(120) { 50e6 + Double(min($0, 29)) * 1e6 + Self.wobble($0) }
        #expect(a.verdict == .flat)
    }

    @Test func tooFewSamplesAfterWarmUpIsCollecting() {
        let a = Self.run(40) { 50e6 + Double($0) * 1e6 }
        #expect(a.verdict == .collecting)
        #expect(a.samples == 10)
    }

    @Test func slowGrowthBelowThresholdIsFlat() {
        let a = Self.run(120) { 50e6 + Double($0) * 4 * 1024 }
        #expect(a.verdict == .flat)
        #expect(a.fit > 0.99)   // steady, but too slow to call
    }

    @Test func windowForgetsAStoppedLeak() {
        var c = LeakDetector.Configuration()
        c.windowSamples = 60
        let a = Self.run(300, configuration: c) { 50e6 + Double(min($0, 150)) * 1e6 + Self.wobble($0) }
        #expect(a.verdict == .flat)
        #expect(a.samples == 60)
    }

    @Test func resetStartsOver() {
        var d = LeakDetector()
        for t in 0..<100 { d.record(atSeconds: Double(t), bytes: Double(t) * 1e6) }
        #expect(d.assessment.verdict == .growing)
        d.reset()
        #expect(d.assessment.verdict == .collecting)
        #expect(d.assessment.samples == 0)
    }
}
