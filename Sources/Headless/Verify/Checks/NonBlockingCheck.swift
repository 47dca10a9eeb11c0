/// Seed: "non-blocking request handling": the light routes' p99 while heavy work runs stays within 1.5× of their p99
/// without it (jobs queued, serving offloaded), and is far worse naive (reports computed inline on the serving
/// threads). The heavy-work mix: light reads plus reports (≫ 100 ms of CPU each).
struct NonBlockingCheck: VerifyCheck {
    let name = "non-blocking"
    let criterion = "light routes' p99 with heavy work ≤ 1.5× without it (jobs queued, serving offloaded); far worse naive"
    let knobs = ["jobs", "serving"]
    /// "Far worse": at least 3× the light routes' p99 without heavy work.
    static let naiveFactor = 3.0
    let required = "optimized ≤ 1.5× the p99 without heavy work; naive ≥ 3×"

    /// The heavy route of the heavy-work mix; every other route is light.
    static func isLight(_ route: String) -> Bool { route != "report" }

    func trials(_ plan: VerifyPlan, _ s: KnobSettings) -> [String: VerifyTrial] {
        let naive = s.optimized(["jobs": s.naive["jobs"] ?? "inline", "serving": s.naive["serving"] ?? "blocking"])
        return ["without": VerifyTrial(mix: .light, knobs: s.optimized(), rate: plan.heavyRate),
                "optimized": VerifyTrial(mix: .heavy, knobs: s.optimized(), rate: plan.heavyRate),
                "naive": VerifyTrial(mix: .heavy, knobs: naive, rate: plan.heavyRate)]
    }

    func judge(_ m: [String: VerifyMeasurement], plan: VerifyPlan) -> VerifyVerdict {
        let without = m["without"]!.combined(Self.isLight)
        let optimized = m["optimized"]!.combined(Self.isLight), naive = m["naive"]!.combined(Self.isLight)
        let heavyDone = m["optimized"]!.routes["report"]?.completed ?? 0
        let note = "light routes of the heavy-work mix; without heavy work (optimized): p99 "
            + (without.completed > 0 ? VerifyFormat.ms(without.latency.percentile(99)) : "none")
            + "; reports answered with heavy work (optimized): \(heavyDone)"
        guard without.completed > 0, optimized.completed > 0 else {
            return VerifyVerdict(naive: describe(naive, without), optimized: describe(optimized, without), required: required,
                                 outcome: .failed, note: note)
        }
        let base = Double(without.latency.percentile(99))
        let optimizedRatio = Double(optimized.latency.percentile(99)) / base
        let naiveRatio = naive.completed > 0 ? Double(naive.latency.percentile(99)) / base : .infinity
        // The heavy work must have run, or the comparison says nothing.
        let passed = (optimizedRatio <= 1.5 || !plan.gateP99Ratios) && naiveRatio >= Self.naiveFactor && heavyDone > 0
        return VerifyVerdict(naive: describe(naive, without), optimized: describe(optimized, without),
                             required: plan.gateP99Ratios ? required : "naive ≥ 3× (1.5× reported, not gated in --quick)",
                             outcome: passed ? .passed : .failed, note: note,
                             values: naive.completed > 0 ? (naiveRatio, optimizedRatio) : nil)
    }

    func describe(_ r: VerifyMeasurement.Route, _ without: VerifyMeasurement.Route) -> String {
        guard r.completed > 0 else { return "no responses" }
        let p99 = r.latency.percentile(99)
        guard without.completed > 0 else { return "p99 " + VerifyFormat.ms(p99) }
        return "p99 " + VerifyFormat.ms(p99) + " (" + VerifyFormat.ratio(Double(p99) / Double(without.latency.percentile(99))) + ")"
    }
}
