import Metrics

/// Drives a `CapacitySearch` with real load: one session (open model) runs the whole time, and each step sets its
/// rate, lets it settle for `settleSeconds` (queues from the previous rate drain or build), resets the statistics,
/// measures for `measureSeconds`, and reads the totals since the reset. One backend and one generator for the
/// whole search: no re-seeding, no re-harvesting, no cold caches between steps.
public enum CapacityRunner {
    /// - Parameter onStep: called after each measured step (progress lines).
    public static func run(session: RunSession, search: inout CapacitySearch, level: ServiceLevel,
                           settleSeconds: Double, measureSeconds: Double, clock: any RunClock = SystemRunClock(),
                           onStep: (CapacityStep) -> Void = { _ in }) {
        while let rate = search.nextRate() {
            session.setRate(rate, source: "capacity")
            clock.sleep(until: clock.now() + UInt64(settleSeconds * 1e9))
            session.resetStatistics(source: "capacity")
            let started = clock.now()
            let before = session.latestSnapshot?.backend
            clock.sleep(until: started + UInt64(measureSeconds * 1e9))
            guard let snapshot = session.latestSnapshot else { break }
            // The totals cover the reset (a timeline event) to the snapshot's tick, not to now.
            let resetAt = snapshot.events.last { $0.kind == "reset" }?.atSeconds ?? 0
            let seconds = max(snapshot.elapsedSeconds - resetAt, 0.001)
            var step = measure(snapshot, offeredRate: rate, seconds: seconds, backendBefore: before)
            step.miss = level.miss(step)
            search.record(step)
            onStep(step)
        }
    }

    /// The step's figures from the totals since the statistics reset (and backend counters before and after).
    static func measure(_ snapshot: Snapshot, offeredRate: Double, seconds: Double, backendBefore: BackendSnapshot?) -> CapacityStep {
        let total = snapshot.load.total
        let latency = snapshot.load.latencyTotal
        var step = CapacityStep(offeredRate: offeredRate, achievedRate: seconds > 0 ? Double(total.completed) / seconds : 0,
                                completed: total.completed, errorRate: total.unexpectedErrorRate,
                                p50Nanoseconds: latency.percentile(50), p99Nanoseconds: latency.percentile(99))
        if let after = snapshot.backend, let before = backendBefore {
            let db = after.routes.reduce(UInt64(0)) { $0 &+ $1.dbNanoseconds } &- before.routes.reduce(UInt64(0)) { $0 &+ $1.dbNanoseconds }
            let requests = after.routes.reduce(UInt64(0)) { $0 &+ $1.requests } &- before.routes.reduce(UInt64(0)) { $0 &+ $1.requests }
            if requests > 0, requests < UInt64.max / 2 { step.dbSecondsPerRequest = Double(db) / 1e9 / Double(requests) }
        }
        return step
    }
}
