import HTTP
import Knobs
import Metrics

/// A knob, or a family of knobs such as `pool` + `pool_size`, as one unit: its definitions, how the backend reacts
/// to a change, its typed probe and its `/metrics` lines, all in one file `Knobs/<Name>Knob.swift`.
///
/// Units are listed once in `KnobUnits.all`; the registry, `dyno knobs`, profiles and the console all take the
/// definitions from there. Units do not own the machinery they steer (the pool, the cache, the worker pool live in
/// their own files and are built by `BackendParts`); a unit is the thin layer between the knob and that machinery.
protocol KnobUnit: Sendable {
    /// The knobs this unit owns (ids, values, naive/optimized, console key, group).
    static var definitions: [KnobDefinition] { get }
    /// Builds the unit over the backend's parts. Called once per backend, after the parts exist.
    init(parts: BackendParts)
    /// Reacts to changes of the registry (called outside the registry lock, on the writer's thread, with every
    /// batch; a unit ignores changes to other units' knobs). Knobs read per request need nothing here.
    func apply(_ changes: [KnobChange])
    /// Fills this unit's typed probe. Called once per aggregator tick: atomics and short locks, no database access.
    func probe(into snapshot: inout BackendSnapshot)
    /// Writes this unit's `/metrics` lines. Called on a scrape.
    func writeMetrics(to out: inout PrometheusWriter)
    /// Stops background work the unit started (called by `DemoBackend.stop()`).
    func stop()
}

extension KnobUnit {
    func apply(_ changes: [KnobChange]) {}
    func probe(into snapshot: inout BackendSnapshot) {}
    func writeMetrics(to out: inout PrometheusWriter) {}
    func stop() {}

    /// The index of `value` among the choices of knob `id` in `definitions` (for one-load comparisons per request).
    static func choiceIndex(_ id: String, _ value: String) -> Int {
        guard let d = definitions.first(where: { $0.id == id }), case .choice(let values) = d.kind,
              let index = values.firstIndex(of: value) else {
            preconditionFailure("knob \(id) has no value \(value)")
        }
        return index
    }
}
