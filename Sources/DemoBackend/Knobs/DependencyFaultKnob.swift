import Foundation
import Knobs
import Metrics

/// `dependency`, `dependency_latency_ms`, `dependency_error_pct`: faults injected into the "recommendations"
/// dependency, after Toxiproxy's toxics (see `DependencyFaults`). Faults, not optimizations: presets leave them alone.
/// A change reaches the running service at once (`hang` → anything answers the held requests; `down` closes its port).
struct DependencyFaultKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "dependency", kind: .choice(DependencyFaults.Mode.allCases.map(\.rawValue)), defaultValue: "ok",
                       naiveValue: "ok", optimizedValue: "ok", key: "d",
                       summary: "recommendations fault: ok, slow (+latency), flaky (503s), hang, reset mid-response, down (refused)",
                       group: .fault),
        KnobDefinition(id: "dependency_latency_ms", kind: .integer(1...60_000), defaultValue: "300",
                       naiveValue: "300", optimizedValue: "300", key: "l",
                       summary: "latency the slow fault adds, ±20% jitter (ms)", group: .fault),
        KnobDefinition(id: "dependency_error_pct", kind: .integer(0...100), defaultValue: "50",
                       naiveValue: "50", optimizedValue: "50", key: "f",
                       summary: "share of calls the flaky fault answers 503 (%)", group: .fault),
    ]
    private static let ids: Set<String> = Set(definitions.map(\.id))

    let knobs: KnobRegistry
    let service: RecommendationsService
    let log: @Sendable (String) -> Void

    init(parts: BackendParts) {
        knobs = parts.knobs
        log = parts.configuration.errorSink
        service = parts.dependency.service
    }

    /// The faults the registry asks for now.
    static func faults(_ knobs: KnobRegistry) -> DependencyFaults {
        DependencyFaults(mode: knobs["dependency"].flatMap { DependencyFaults.Mode(rawValue: $0.value) } ?? .ok,
                         latencyMilliseconds: knobs["dependency_latency_ms"]?.rawValue ?? 300,
                         errorPercent: knobs["dependency_error_pct"]?.rawValue ?? 50)
    }

    func apply(_ changes: [KnobChange]) {
        guard changes.contains(where: { Self.ids.contains($0.id) }) else { return }
        do {
            try service.setFaults(Self.faults(knobs))
        } catch {
            // Leaving `down` could not bind the port again (taken meanwhile): the dependency stays down.
            log("dyno: recommendations service: \(error)")
        }
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        out.declare("dyno_dependency_fault", .gauge, help: "The fault injected into the dependency (1 for the current one).")
        out.sample("dyno_dependency_fault", ["dependency": DependencyParts.name, "fault": service.faults.mode.rawValue], 1)
        out.gauge("dyno_dependency_held_requests", help: "Requests the dependency holds unanswered (the hang fault).",
                  service.heldRequests)
    }
}

extension RecommendationsService {
    /// The faults `--knob` settings ask for (only the `dependency*` fault knobs are allowed), for `dyno dependency`.
    /// Throws `KnobError` naming a bad id or value.
    public static func faults(fromKnobs settings: [String: String]) throws -> DependencyFaults {
        let registry = KnobRegistry(DependencyFaultKnob.definitions, clock: { 0 })
        try registry.set(settings, source: "cli")
        return DependencyFaultKnob.faults(registry)
    }
}
