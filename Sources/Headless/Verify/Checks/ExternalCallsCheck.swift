/// Seed: "non-blocking external calls with a circuit breaker": with the dependency hanging and the breaker on, the
/// routes that do not use it keep 0 errors and their p99 (within 1.5× of the dependency healthy). Naive (breaker
/// off, blocking dependency I/O) is measured the same way and shown, not judged: the criterion is about the
/// protected setting.
struct ExternalCallsCheck: VerifyCheck {
    let name = "external calls"
    let criterion = "dependency hanging + breaker on: routes not using it keep 0 errors and their p99"
    let knobs = ["dependency", "breaker", "dependency_io"]
    let required = "other routes: 0 errors, p99 ≤ 1.5× healthy"

    /// Routes of the dependency mix that call the dependency: related articles, and comment creation (spam check).
    static func usesDependency(_ route: String) -> Bool { route == "related" || route == "comment" }

    func trials(_ plan: VerifyPlan, _ s: KnobSettings) -> [String: VerifyTrial] {
        ["healthy": VerifyTrial(mix: .dependency, knobs: s.optimized(["dependency": "ok"]), rate: plan.dependencyRate),
         "optimized": VerifyTrial(mix: .dependency, knobs: s.optimized(["dependency": "hang"]), rate: plan.dependencyRate),
         "naive": VerifyTrial(mix: .dependency, knobs: s.optimized(["dependency": "hang", "breaker": "off",
                                                                      "dependency_io": s.naive["dependency_io"] ?? "blocking"]),
                              rate: plan.dependencyRate)]
    }

    func judge(_ m: [String: VerifyMeasurement], plan: VerifyPlan) -> VerifyVerdict {
        let other = { (r: String) in !Self.usesDependency(r) }
        let healthy = m["healthy"]!.combined(other), optimized = m["optimized"]!.combined(other)
        let naive = m["naive"]!.combined(other)
        let note = "routes not calling the dependency; healthy dependency (optimized): p99 "
            + (healthy.completed > 0 ? VerifyFormat.ms(healthy.latency.percentile(99)) : "none")
            + "; naive = breaker off, blocking dependency I/O (shown, not judged)"
        guard healthy.completed > 0, optimized.completed > 0 else {
            return VerifyVerdict(naive: describe(naive, m["naive"]!), optimized: describe(optimized, m["optimized"]!), required: required,
                                 outcome: .failed, note: note)
        }
        let ratio = Double(optimized.latency.percentile(99)) / Double(healthy.latency.percentile(99))
        let passed = optimized.errors == 0 && optimized.transportErrors == 0 && (ratio <= 1.5 || !plan.gateP99Ratios)
        return VerifyVerdict(naive: describe(naive, m["naive"]!), optimized: describe(optimized, m["optimized"]!) + " (" + VerifyFormat.ratio(ratio) + ")",
                             required: plan.gateP99Ratios ? required : "other routes: 0 errors (p99 ratio reported, not gated in --quick)", outcome: passed ? .passed : .failed, note: note,
                             values: naive.completed > 0 ? (Double(naive.latency.percentile(99)) / 1e6, Double(optimized.latency.percentile(99)) / 1e6) : nil)
    }

    /// Errors and p99 of the other routes, and how many of the whole mix's requests were answered: a side whose
    /// connections all hang on the dependency answers few requests, however fast those few are.
    func describe(_ r: VerifyMeasurement.Route, _ m: VerifyMeasurement) -> String {
        let answered = ", " + VerifyFormat.rate(m.achievedRate) + " answered of " + VerifyFormat.rate(m.offeredRate)
        return r.completed == 0 ? "no responses, \(r.errors) errors" + answered
            : "\(r.errors) errors, p99 " + VerifyFormat.ms(r.latency.percentile(99)) + answered
    }
}
