/// Seed: "payload efficiency": bytes of the large list and of the export reduced ≥ 50%, and encode time reduced.
/// The payloads mix (`Profiles/payloads.json`: lists of 100 and 500 articles, whole-tag exports, single articles,
/// requested with `Accept-Encoding: gzip`) with the cache off on both sides, so every list is encoded per request;
/// naive = `encoding` foundation, `compression` off, `paging` unbounded, the rest optimized. Bytes are what crossed
/// the wire per response (the load generator's count), encode time is the backend's own per list request.
struct PayloadsCheck: VerifyCheck {
    let name = "payloads"
    let criterion = "bytes of the large list and the export reduced ≥ 50%, and encode time reduced"
    let knobs = ["encoding", "compression", "paging", "cache"]
    let required = "list and export bytes ≤ 50% of naive; encode time/list lower"

    static func isLargeList(_ route: String) -> Bool { route == "list 100" || route == "list 500" }
    static let export = "export by tag"
    /// The backend's route of the lists (the exports stream and are timed as a whole, not per encode).
    static let listTemplate = "GET /api/articles"

    func trials(_ plan: VerifyPlan, _ s: KnobSettings) -> [String: VerifyTrial] {
        var naive = ["cache": "off"]
        for id in ["encoding", "compression", "paging"] { naive[id] = s.naive[id] }
        return ["naive": VerifyTrial(mix: .payloads, knobs: s.optimized(naive), rate: plan.payloadRate),
                "optimized": VerifyTrial(mix: .payloads, knobs: s.optimized(["cache": "off"]), rate: plan.payloadRate)]
    }

    /// Bytes per response of the large lists, of the exports, and encode milliseconds per list request.
    struct Figures {
        var list: Double?
        var export: Double?
        var encodeMs: Double?
        init(_ m: VerifyMeasurement) {
            func perResponse(_ r: VerifyMeasurement.Route) -> Double? { r.completed == 0 ? nil : Double(r.bytes) / Double(r.completed) }
            list = perResponse(m.combined(PayloadsCheck.isLargeList))
            export = perResponse(m.combined { $0 == PayloadsCheck.export })
            encodeMs = m.backend[PayloadsCheck.listTemplate].flatMap {
                $0.requests == 0 ? nil : Double($0.encodeNanoseconds) / 1e6 / Double($0.requests)
            }
        }
        var text: String {
            func kb(_ b: Double?) -> String { b.map { VerifyFormat.bytes($0) } ?? "none" }
            return "list " + kb(list) + ", export " + kb(export) + ", encode " + (encodeMs.map { String(format: "%.2f ms", $0) } ?? "none")
        }
    }

    func judge(_ m: [String: VerifyMeasurement], plan: VerifyPlan) -> VerifyVerdict {
        let naive = Figures(m["naive"]!), optimized = Figures(m["optimized"]!)
        let note = "per response on the wire (lists of 100 and 500, whole-tag exports); encode time per list request; cache off on both sides"
        guard let nl = naive.list, let ol = optimized.list, let ne = naive.export, let oe = optimized.export,
              let nt = naive.encodeMs, let ot = optimized.encodeMs else {
            return VerifyVerdict(naive: naive.text, optimized: optimized.text, required: required, outcome: .failed,
                                 note: note + "; a figure is missing (no responses of that kind)")
        }
        let passed = ol <= 0.5 * nl && oe <= 0.5 * ne && ot < nt
        let shown = optimized.text + " (list " + VerifyFormat.fraction(ol / nl - 1) + ", export " + VerifyFormat.fraction(oe / ne - 1)
            + ", encode " + VerifyFormat.fraction(ot / nt - 1) + ")"
        return VerifyVerdict(naive: naive.text, optimized: shown, required: required, outcome: passed ? .passed : .failed,
                             note: note, values: (nl, ol))
    }
}
