import Knobs
import Metrics

/// `dependency_io`: how the backend calls the "recommendations" dependency (`DependencyClient`).
/// - blocking (naive): a blocking socket call on the thread handling the request. Under `serving=blocking` that is an
///   HTTP serving thread, so a slow or hanging dependency stalls every connection of that thread;
/// - async (optimized): the event-loop client; the handler returns, the response completes when the dependency
///   answers, and no thread waits meanwhile.
/// Read per request (one atomic load).
struct DependencyIOKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "dependency_io", kind: .choice(["blocking", "async"]), defaultValue: "blocking",
                       naiveValue: "blocking", optimizedValue: "async", key: "a",
                       summary: "dependency calls: blocking socket on the handling thread, or the async event-loop client"),
    ]
    private static let async = choiceIndex("dependency_io", "async")

    let knob: Knob?
    let dependency: DependencyParts

    init(parts: BackendParts) {
        knob = parts.knobs["dependency_io"]
        dependency = parts.dependency
    }

    func probe(into snapshot: inout BackendSnapshot) {
        var probe = DependencyProbe()
        probe.io = knob?.rawValue == Self.async ? .async : .blocking
        probe.fault = DependencyProbe.Fault(rawValue: dependency.service.faults.mode.rawValue) ?? .ok
        probe.inFlight = dependency.client.inFlight
        probe.threadsBlocked = dependency.client.threadsBlocked
        probe.heldByDependency = dependency.service.heldRequests
        probe.calls = dependency.client.calls
        probe.failures = dependency.client.failures
        snapshot.dependency = probe
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        let client = dependency.client
        out.gauge("dyno_dependency_calls_in_flight", help: "Dependency calls started and not finished.", client.inFlight)
        out.gauge("dyno_dependency_threads_blocked", help: "Threads waiting inside a blocking dependency call.",
                  client.threadsBlocked)
        out.counter("dyno_dependency_calls_total", help: "Dependency calls made (not counting breaker rejections).",
                    client.calls)
        out.counter("dyno_dependency_failures_total", help: "Dependency calls that failed: error, 5xx or timeout.",
                    client.failures)
    }

    func stop() { dependency.stop() }
}
