import Metrics

/// Seed: "memory": the leak detector's verdict is `flat` with the `memory` knob bounded and `growing` unbounded —
/// the detector must catch the leak. The leak mix (shared links: every request a new (viewer, URL) for the memo of
/// rendered responses) at the same rate on both sides, everything else optimized; anonymous RSS sampled once a
/// second while measuring, judged by `LeakDetector` with `VerifyPlan.leakRule` (its own threshold and fit, over
/// the measured seconds: the settling, where the bounded memo fills up, is the warm-up).
struct MemoryCheck: VerifyCheck {
    let name = "memory"
    let criterion = "leak verdict flat when bounded, growing when unbounded"
    let knobs = ["memory"]
    let required = "bounded: flat; unbounded: growing"

    func trials(_ plan: VerifyPlan, _ s: KnobSettings) -> [String: VerifyTrial] {
        ["optimized": VerifyTrial(mix: .leak, knobs: s.optimized(), rate: plan.leakRate),
         "naive": VerifyTrial(mix: .leak, knobs: s.optimized(["memory": s.naive["memory"] ?? "unbounded"]), rate: plan.leakRate)]
    }

    /// The detector's reading of a trial's samples.
    static func assess(_ samples: [MemorySample], rule: LeakDetector.Configuration) -> LeakAssessment {
        LeakDetector.assess(samples.lazy.map { ($0.t, Double($0.rssAnonBytes)) }, configuration: rule)
    }

    func judge(_ m: [String: VerifyMeasurement], plan: VerifyPlan) -> VerifyVerdict {
        let rule = plan.leakRule
        let naive = Self.assess(m["naive"]!.memorySamples, rule: rule)
        let optimized = Self.assess(m["optimized"]!.memorySamples, rule: rule)
        let passed = optimized.verdict == .flat && naive.verdict == .growing
        let note = String(format: "anonymous RSS, one sample a second over %g s; growing = slope ≥ %.0f KiB/s with fit ≥ %.1f",
                          plan.leakMeasureSeconds, rule.growthThresholdBytesPerSecond / 1024, rule.minimumFit)
        return VerifyVerdict(naive: Self.describe(naive), optimized: Self.describe(optimized), required: required,
                             outcome: passed ? .passed : .failed, note: note,
                             values: (naive.slopeBytesPerSecond * 60 / 1_048_576, optimized.slopeBytesPerSecond * 60 / 1_048_576))
    }

    static func describe(_ a: LeakAssessment) -> String {
        guard a.samples >= 2 else { return "no samples" }
        return a.verdict.rawValue + String(format: ", %+.1f MB/min (fit %.2f, %d samples)", a.slopeBytesPerSecond * 60 / 1_048_576, a.fit, a.samples)
    }
}
