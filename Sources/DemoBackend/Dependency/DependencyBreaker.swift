import Metrics
import Synchronization

/// The `breaker` knob's circuit breaker for one dependency: the pure `CircuitBreaker` behind a mutex, with the clock
/// injected (tests pass a test clock) and state changes reported outside the lock (they become timeline events).
final class DependencyBreaker: Sendable {
    let dependency: String
    private let clock: @Sendable () -> UInt64
    private let onTransition: @Sendable (CircuitBreaker.Transition) -> Void
    private let machine: Mutex<CircuitBreaker>

    /// A consistent reading for the probe and `/metrics`.
    struct Reading: Sendable, Equatable {
        var state: CircuitBreaker.State
        var failureRate: Double
        var slowCallRate: Double
        var calls: UInt64
        var rejectedOpen: UInt64
        var rejectedBulkhead: UInt64
        var timeouts: UInt64
        var inFlight: Int
        /// Seconds spent in closed, open, half-open (indexed by `State.rawValue`).
        var secondsIn: [Double]
    }

    init(dependency: String, configuration: CircuitBreakerConfiguration = .init(),
         clock: @escaping @Sendable () -> UInt64 = MonotonicClock.nanoseconds,
         onTransition: @escaping @Sendable (CircuitBreaker.Transition) -> Void = { _ in }) {
        self.dependency = dependency
        self.clock = clock
        self.onTransition = onTransition
        machine = Mutex(CircuitBreaker(configuration: configuration, now: clock()))
    }

    var configuration: CircuitBreakerConfiguration { machine.withLock { $0.configuration } }

    func acquire(concurrencyLimit: Int = .max) -> CircuitBreaker.Decision {
        let now = clock()
        let (decision, transition) = machine.withLock { $0.acquire(now: now, concurrencyLimit: concurrencyLimit) }
        if let transition { onTransition(transition) }
        return decision
    }

    func record(_ permit: CircuitBreaker.Permit, succeeded: Bool, timedOut: Bool) {
        let now = clock()
        if let transition = machine.withLock({ $0.record(permit, succeeded: succeeded, timedOut: timedOut, now: now) }) {
            onTransition(transition)
        }
    }

    var reading: Reading {
        let now = clock()
        return machine.withLock { m in
            Reading(state: m.state, failureRate: m.failureRate(now: now), slowCallRate: m.slowCallRate(now: now),
                    calls: m.calls, rejectedOpen: m.rejectedOpen, rejectedBulkhead: m.rejectedBulkhead,
                    timeouts: m.timeouts, inFlight: m.inFlight,
                    secondsIn: CircuitBreaker.State.allCases.map { Double(m.nanoseconds(in: $0, now: now)) / 1e9 })
        }
    }
}
