import Knobs

/// `counts`: how `articlesCount`, each article's `favoritesCount` and the tag list's popularity order are read.
/// - computed (naive): counted per request — a popular tag's `articlesCount` counts ≈ 40,000 links, `GET /api/tags`
///   groups all ≈ 350,000 (cost grows with the data);
/// - maintained (optimized): read from counters that triggers keep up to date in every writing transaction
///   (`MaintainedCounts`): one row whatever the data size.
/// A knob of its own, not part of `indexes` or `query`: it is a separate technique (a counter cache) with its own
/// trade-off — every favorite and tag link also updates a counter row, whatever this knob says, so flipping it needs
/// no rebuild. Read per request by the SQL store (one atomic load); its effect shows in the server view's
/// queries and DB time per route.
struct CountsKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "counts", kind: .choice(["computed", "maintained"]), defaultValue: "maintained",
                       naiveValue: "computed", optimizedValue: "maintained", key: "u",
                       summary: "articlesCount, favorites and tag popularity: counted per request, or counters kept on write"),
    ]

    init(parts: BackendParts) {}
}
