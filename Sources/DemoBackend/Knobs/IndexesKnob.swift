import Knobs
import Metrics

/// `indexes`: the secondary indexes (tags, authors, dates, favorites, follows, comments), dropped (naive) or built
/// (optimized) live in the background by `IndexKnobWorker` while requests are served.
struct IndexesKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "indexes", kind: .choice(["off", "on"]), defaultValue: "on",
                       naiveValue: "off", optimizedValue: "on", key: "x",
                       summary: "secondary indexes (tags, authors, dates, favorites, follows, comments), built/dropped live"),
    ]

    let worker: IndexKnobWorker

    init(parts: BackendParts) {
        worker = parts.indexes
        // A fresh backend brings the database in line with the knob (the seed creates the indexes).
        if let knob = parts.knobs["indexes"] { worker.request(present: knob.value == "on") }
    }

    func apply(_ changes: [KnobChange]) {
        // Only the latest wanted state matters; the worker coalesces requests.
        if let change = changes.last(where: { $0.id == "indexes" }) { worker.request(present: change.newValue == "on") }
    }

    func probe(into snapshot: inout BackendSnapshot) {
        snapshot.indexBuildProgress = worker.progress
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        out.declare("dyno_index_build_progress", .gauge,
                    help: "Live index create/drop (the indexes knob): 0..1 while running, absent when idle.")
        if let progress = worker.progress { out.sample("dyno_index_build_progress", [:], progress) }
    }

    func stop() { worker.waitUntilIdle() }
}
