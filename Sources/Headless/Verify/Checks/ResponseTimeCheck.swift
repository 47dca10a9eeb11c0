/// Seed: "response time under load improved by at least 50% (p95)". All optimized vs all naive, the read mix at the
/// same offered rate (open model: latency from the intended send time, so a naive backend that falls behind is
/// charged for the queue it builds).
struct ResponseTimeCheck: VerifyCheck {
    let name = "response time under load"
    let criterion = "p95 improved ≥ 50%: all optimized vs all naive, same offered rate"
    let knobs: [String] = []
    let required = "optimized p95 ≤ 50% of naive"

    func trials(_ plan: VerifyPlan, _ s: KnobSettings) -> [String: VerifyTrial] {
        ["naive": VerifyTrial(mix: .reads, knobs: s.naive(), rate: plan.readRate),
         "optimized": VerifyTrial(mix: .reads, knobs: s.optimized(), rate: plan.readRate)]
    }

    func judge(_ m: [String: VerifyMeasurement], plan: VerifyPlan) -> VerifyVerdict {
        let naive = m["naive"]!.overall, optimized = m["optimized"]!.overall
        guard optimized.completed > 0 else {
            return VerifyVerdict(naive: describe(naive), optimized: "no responses", required: required, outcome: .failed)
        }
        // A naive run that answered nothing at all (every request timed out) is worse than any p95 it could show.
        let naiveP95 = naive.completed > 0 ? naive.latency.percentile(95) : UInt64.max
        let optimizedP95 = optimized.latency.percentile(95)
        let ratio = Double(optimizedP95) / Double(naiveP95)
        return VerifyVerdict(naive: describe(naive), optimized: describe(optimized) + " (" + VerifyFormat.fraction(ratio - 1) + ")",
                             required: required, outcome: ratio <= 0.5 ? .passed : .failed,
                             values: naive.completed > 0 ? (Double(naiveP95) / 1e6, Double(optimizedP95) / 1e6) : nil)
    }

    func describe(_ r: VerifyMeasurement.Route) -> String {
        r.completed == 0 ? "no responses" : "p95 " + VerifyFormat.ms(r.latency.percentile(95))
    }
}
