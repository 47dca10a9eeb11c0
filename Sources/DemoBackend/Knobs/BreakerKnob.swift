import Knobs
import Metrics

/// `breaker`: a circuit breaker around the "recommendations" dependency (`CircuitBreaker`, `DependencyBreaker`).
/// - off (naive): calls have no timeout and pile up while the dependency is sick;
/// - on (optimized): closed → open on the failure or slow-call rate over a rolling window; open → half-open after a
///   wait; trial calls decide; a call timeout; a bulkhead; the routes' fallbacks while it is open.
/// Read per call (one atomic load). State changes become timeline events ("breaker open") through the probe.
struct BreakerKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "breaker", kind: .choice(["off", "on"]), defaultValue: "off",
                       naiveValue: "off", optimizedValue: "on", key: "t",
                       summary: "circuit breaker on dependency calls: timeout, bulkhead, open on failures, fallback"),
    ]
    private static let on = choiceIndex("breaker", "on")

    let knob: Knob?
    let dependency: DependencyParts

    init(parts: BackendParts) {
        knob = parts.knobs["breaker"]
        dependency = parts.dependency
    }

    func probe(into snapshot: inout BackendSnapshot) {
        let r = dependency.breaker.reading
        var probe = BreakerProbe(dependency: DependencyParts.name)
        probe.state = knob?.rawValue == Self.on ? r.state.probeState : .off
        probe.failureRate = r.failureRate
        probe.slowCallRate = r.slowCallRate
        probe.calls = r.calls
        probe.failures = dependency.client.failures
        probe.rejected = r.rejectedOpen + r.rejectedBulkhead
        probe.rejectedBulkhead = r.rejectedBulkhead
        probe.timeouts = r.timeouts
        probe.inFlight = r.inFlight
        probe.secondsClosed = r.secondsIn[CircuitBreaker.State.closed.rawValue]
        probe.secondsOpen = r.secondsIn[CircuitBreaker.State.open.rawValue]
        probe.secondsHalfOpen = r.secondsIn[CircuitBreaker.State.halfOpen.rawValue]
        probe.transitions = dependency.transitions
        probe.probedAtNanoseconds = MonotonicClock.nanoseconds()
        snapshot.breakers.append(probe)
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        let r = dependency.breaker.reading
        let name = DependencyParts.name
        let state = knob?.rawValue == Self.on ? r.state.probeState : .off
        out.declare("dyno_breaker_state", .gauge, help: "Circuit breaker state (1 for the current one; off when the knob is off).")
        for s in [BreakerProbe.State.off, .closed, .open, .halfOpen] {
            out.sample("dyno_breaker_state", ["dependency": name, "state": s.rawValue], s == state ? 1 : 0)
        }
        out.gauge("dyno_breaker_failure_rate", help: "Failed share of the calls in the rolling window (or the trial calls).",
                  r.failureRate, labels: ["dependency": name])
        out.gauge("dyno_breaker_slow_call_rate", help: "Slow share of the calls in the rolling window (or the trial calls).",
                  r.slowCallRate, labels: ["dependency": name])
        out.counter("dyno_breaker_calls_total", help: "Calls the breaker let through.", r.calls, labels: ["dependency": name])
        out.declare("dyno_breaker_rejected_total", .counter, help: "Calls not made: circuit open, or the bulkhead full.")
        out.sample("dyno_breaker_rejected_total", ["dependency": name, "reason": "open"], Double(r.rejectedOpen))
        out.sample("dyno_breaker_rejected_total", ["dependency": name, "reason": "bulkhead"], Double(r.rejectedBulkhead))
        out.counter("dyno_breaker_timeouts_total", help: "Calls abandoned at the call timeout.", r.timeouts,
                    labels: ["dependency": name])
        out.declare("dyno_breaker_state_seconds_total", .counter, help: "Seconds spent in each breaker state.")
        for s in CircuitBreaker.State.allCases {
            out.sample("dyno_breaker_state_seconds_total", ["dependency": name, "state": s.probeState.rawValue],
                       r.secondsIn[s.rawValue])
        }
    }
}
