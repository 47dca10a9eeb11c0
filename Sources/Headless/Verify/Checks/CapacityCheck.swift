/// Seed: "capacity": the highest arrival rate meeting the service level, naive vs optimized (the read mix, a capacity
/// search each: step up ×2, then bisect). Required: optimized sustains at least twice the naive rate.
struct CapacityCheck: VerifyCheck {
    let name = "capacity"
    let criterion = "the highest rate meeting the SLO, naive vs optimized"
    let knobs: [String] = []
    let required = "optimized ≥ 2× naive"

    func trials(_ plan: VerifyPlan, _ s: KnobSettings) -> [String: VerifyTrial] {
        ["naive": VerifyTrial(mix: .reads, kind: .capacity, knobs: s.naive(), rate: plan.capacityNaiveStart),
         "optimized": VerifyTrial(mix: .reads, kind: .capacity, knobs: s.optimized(), rate: plan.capacityOptimizedStart)]
    }

    func judge(_ m: [String: VerifyMeasurement], plan: VerifyPlan) -> VerifyVerdict {
        let naive = m["naive"]!.capacity, optimized = m["optimized"]!.capacity
        let show = { (c: Double?) in c.map { VerifyFormat.rate($0) } ?? "none meets it" }
        let note = "SLO " + plan.capacitySLO.description
        guard let o = optimized else {
            return VerifyVerdict(naive: show(naive), optimized: show(nil), required: required, outcome: .failed, note: note)
        }
        // Naive meeting the level at no rate at all is the extreme of "optimized sustains more".
        let passed = naive.map { o >= 2 * $0 } ?? true
        return VerifyVerdict(naive: show(naive), optimized: show(o) + (naive.map { " (" + VerifyFormat.ratio(o / $0) + ")" } ?? ""),
                             required: required, outcome: passed ? .passed : .failed, note: note,
                             values: naive.map { ($0, o) })
    }
}
