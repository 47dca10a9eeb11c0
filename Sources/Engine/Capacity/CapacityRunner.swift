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
        var previousRate: Double?
        while let rate = search.nextRate() {
            // Only a step down can inherit a backlog (from a rate the target could not keep up with). Draining at
            // the new rate could take forever when that rate is still too high, so drain at a trickle first.
            if let previous = previousRate, rate < previous { drainAtTrickle(session: session, clock: clock) }
            session.setRate(rate, source: "capacity")
            previousRate = rate
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

    /// Drops the offered rate to a trickle and waits until the backlog is gone, so whatever runs next starts from
    /// an idle target. Used before a gentler step and before a change of knobs (verify).
    /// The rate stays at the trickle until the caller sets the next one, so knob changes made meanwhile (verify: a
    /// live index drop, the naive preset) meet 1 request a second, not the previous rate. Nothing to drain (the
    /// generator on schedule, at most 8 requests in flight at the latest tick) returns at once: a rate the target
    /// kept up with leaves no backlog, and waiting for two calm ticks costs 2 s a trial.
    public static func drainAtTrickle(session: RunSession, clock: any RunClock) {
        let calm = session.latestSnapshot.map { $0.load.generator.lagSeconds < 0.05 && $0.load.inFlight <= 8 } ?? false
        session.setRate(trickleRate, source: "drain")
        if calm { return }
        waitForDrain(session: session, rate: trickleRate, clock: clock)
    }

    /// Requests per second while draining: enough to see the target answer, too few to queue.
    static let trickleRate = 1.0

    /// Waits (up to `limitSeconds`) until the backlog of a rate the target could not keep up with is gone: the
    /// generator back on its schedule and few requests in flight. Without this, the queue an overloaded step built
    /// is charged to the next, gentler one (latency counts from the intended send time).
    public static func waitForDrain(session: RunSession, rate: Double, clock: any RunClock, limitSeconds: Double = 60) {
        let deadline = clock.now() + UInt64(limitSeconds * 1e9)
        let calm = max(8, Int(rate * 0.1))
        var lastSequence = session.latestSnapshot?.sequence ?? 0
        var calmTicks = 0
        while clock.now() < deadline {
            clock.sleep(until: clock.now() + 100_000_000)
            guard let s = session.latestSnapshot, s.sequence != lastSequence else { continue }
            lastSequence = s.sequence
            // Two calm ticks in a row: one can be a lull between bursts.
            calmTicks = s.load.generator.lagSeconds < 0.05 && s.load.inFlight <= calm ? calmTicks + 1 : 0
            if calmTicks >= 2 { return }
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
