/// Seed: "database queries per request on common reads reduced by at least 30% by the cache". Everything optimized,
/// the cache off vs on, the read mix (popular keys, Zipf) at the same rate; the backend counts every statement.
struct DatabaseLoadCheck: VerifyCheck {
    let name = "database load"
    let criterion = "DB queries per request on common reads reduced ≥ 30% by the cache"
    let knobs = ["cache"]
    let required = "queries/request (GETs) ≤ 70% of cache off"

    func trials(_ plan: VerifyPlan, _ s: KnobSettings) -> [String: VerifyTrial] {
        ["naive": VerifyTrial(mix: .reads, knobs: s.optimized(["cache": "off"]), rate: plan.readRate),
         "optimized": VerifyTrial(mix: .reads, knobs: s.optimized(), rate: plan.readRate)]
    }

    func judge(_ m: [String: VerifyMeasurement], plan: VerifyPlan) -> VerifyVerdict {
        let naive = m["naive"]!.queriesPerRequest(isRead), optimized = m["optimized"]!.queriesPerRequest(isRead)
        let show = { (q: Double?) in q.map { VerifyFormat.number($0) + " q/req" } ?? "no reads served" }
        guard let n = naive, let o = optimized, n > 0 else {
            return VerifyVerdict(naive: show(naive), optimized: show(optimized), required: required, outcome: .failed,
                                 note: "cache off vs on, everything else optimized")
        }
        return VerifyVerdict(naive: show(n), optimized: show(o) + " (" + VerifyFormat.fraction(o / n - 1) + ")",
                             required: required, outcome: o <= 0.7 * n ? .passed : .failed,
                             note: "cache off vs on, everything else optimized", values: (n, o))
    }
}
