/// Seed: "DB time per request reduced by batched queries and indexes". The cache off on both sides (so reads reach
/// the database), everything else optimized; naive is n+1 queries without secondary indexes.
struct QueryTimeCheck: VerifyCheck {
    let name = "query time"
    let criterion = "DB time per request reduced by batched queries and indexes"
    let knobs = ["query", "indexes", "cache"]
    /// "Reduced" with a margin no run-to-run noise reaches: at least halved.
    let required = "DB time/request (GETs) ≤ 50% of n+1 without indexes"

    func trials(_ plan: VerifyPlan, _ s: KnobSettings) -> [String: VerifyTrial] {
        ["naive": VerifyTrial(mix: .reads, knobs: s.optimized(["cache": "off", "query": "n+1", "indexes": "off"]), rate: plan.readRate),
         "optimized": VerifyTrial(mix: .reads, knobs: s.optimized(["cache": "off"]), rate: plan.readRate)]
    }

    func judge(_ m: [String: VerifyMeasurement], plan: VerifyPlan) -> VerifyVerdict {
        let naive = m["naive"]!.dbMillisecondsPerRequest(isRead), optimized = m["optimized"]!.dbMillisecondsPerRequest(isRead)
        let show = { (t: Double?) in t.map { String(format: "%.3f ms DB/req", $0) } ?? "no reads served" }
        let note = "cache off on both sides; n+1 + no secondary indexes vs batched + indexes"
        guard let n = naive, let o = optimized, n > 0 else {
            return VerifyVerdict(naive: show(naive), optimized: show(optimized), required: required, outcome: .failed, note: note)
        }
        return VerifyVerdict(naive: show(n), optimized: show(o) + " (" + VerifyFormat.fraction(o / n - 1) + ")",
                             required: required, outcome: o <= 0.5 * n ? .passed : .failed, note: note,
                             values: (n, o))
    }
}
