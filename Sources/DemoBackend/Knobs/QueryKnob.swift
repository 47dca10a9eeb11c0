import Knobs

/// `query`: how list pages load their articles' authors, tags, favorite counts and following flags.
/// - n+1 (naive): one query per article for each (`SQLiteConduitStore+NPlusOne.swift`);
/// - batched (optimized): a fixed 5 statements per page whatever the limit (`SQLiteConduitStore.swift`).
/// Read per request by the SQL store (one atomic load), so nothing happens on a change. Its probe is the per-route
/// queries per request of the server view (`BackendRouteProbe`).
struct QueryKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "query", kind: .choice(["n+1", "batched"]), defaultValue: "batched",
                       naiveValue: "n+1", optimizedValue: "batched", key: "b",
                       summary: "list queries: one query per article (n+1) or a fixed few per page (batched)"),
    ]

    init(parts: BackendParts) {}
}
