/// How the circuit breaker of the `breaker` knob decides. Every default names its reference and why we differ.
///
/// References: resilience4j's `CircuitBreakerConfig`, `TimeLimiterConfig` and `BulkheadConfig`; Polly's
/// `CircuitBreakerStrategyOptions` and `TimeoutStrategyOptions`.
struct CircuitBreakerConfiguration: Sendable, Equatable {
    /// Open when at least this share of the window's calls failed. Default 0.5 (resilience4j
    /// `failureRateThreshold` 50%; Polly's `FailureRatio` 0.1 trips on noise a flaky-but-usable dependency makes).
    var failureRateThreshold = 0.5
    /// Open when at least this share of the window's calls were slow. Default 0.8: resilience4j defaults to 100%,
    /// which one lucky fast call keeps closed forever; 80% still needs "almost every call is slow".
    var slowCallRateThreshold = 0.8
    /// A call slower than this counts as slow. Default 200 ms: the healthy dependency answers in about a
    /// millisecond, and the `slow` fault adds 300 ms ± 20% (≥ 240 ms). resilience4j's 60 s suits batch calls,
    /// not a call made while a user waits for a page.
    var slowCallDurationNanoseconds: UInt64 = 200_000_000
    /// The rolling window, in whole seconds (one bucket per second). Default 10 s: resilience4j's time-based
    /// window is in seconds too; Polly samples 30 s, which reacts too late for a console you watch.
    var windowSeconds = 10
    /// No verdict before this many calls in the window. Default 20: resilience4j's 100 (and Polly's
    /// `MinimumThroughput` 100) would need 10 s of this demo's related-article traffic to notice anything.
    var minimumNumberOfCalls = 20
    /// Open → half-open after this wait. Default 5 s (Polly's `BreakDuration`; resilience4j's 60 s is too long to
    /// watch a recovery).
    var waitInOpenNanoseconds: UInt64 = 5_000_000_000
    /// Trial calls let through when half-open; when all of them finished, their failure and slow rates decide.
    /// Default 5 (resilience4j's `permittedNumberOfCallsInHalfOpenState` is 10: 5 decides twice as fast and is
    /// still more than one lucky call).
    var permittedCallsInHalfOpen = 5
    /// A call that has not answered after this long is abandoned and counts as a failure. Default 1 s
    /// (resilience4j `TimeLimiter` 1 s; Polly's timeout default is 30 s, longer than any user waits for a page).
    var callTimeoutNanoseconds: UInt64 = 1_000_000_000
    /// Bulkhead: at most this many calls in flight; more are rejected at once (no queueing). Default 25
    /// (resilience4j `Bulkhead.maxConcurrentCalls`, with `maxWaitDuration` 0). Blocking calls get a tighter limit per
    /// call (`acquire(now:concurrencyLimit:)`): half the threads they block, see `DependencyClient`.
    var maxConcurrentCalls = 25

    init() {}
}

/// The circuit breaker as a pure value: no clock, no lock, no I/O. Every call takes `now` (monotonic ns) and returns
/// what to do; state changes come back as `Transition`s so the caller can put them on the timeline. The `breaker`
/// knob's `DependencyBreaker` holds one behind a mutex and injects the clock.
///
///  closed ──(failure or slow rate ≥ threshold, ≥ minimum calls in the window)──► open
///  open ──(wait elapsed, on the next call)──► half-open ──(trial calls all fine)──► closed
///                                                  └──(trial calls failing or slow)──► open
struct CircuitBreaker: Sendable {
    enum State: Int, Sendable, CaseIterable {
        case closed, open, halfOpen
    }

    /// Why a call was not made.
    enum Rejection: Sendable, Equatable {
        /// The circuit is open (or half-open with every trial slot taken): use the fallback.
        case open
        /// The bulkhead is full: too many calls in flight.
        case bulkheadFull
    }

    /// A ticket for an admitted call; hand it back to `record`. Calls admitted before a state change are still
    /// released from the bulkhead but do not count toward the new state's verdict.
    struct Permit: Sendable, Equatable {
        let generation: UInt64
        let startedAt: UInt64
    }

    enum Decision: Sendable, Equatable {
        /// Make the call, abandoning it after `timeoutNanoseconds`.
        case call(Permit, timeoutNanoseconds: UInt64)
        /// Do not call: answer with the fallback.
        case reject(Rejection)
    }

    struct Transition: Sendable, Equatable {
        let from: State
        let to: State
        let atNanoseconds: UInt64
    }

    let configuration: CircuitBreakerConfiguration
    private(set) var state: State = .closed
    private var generation: UInt64 = 0
    private var stateSince: UInt64
    private(set) var inFlight = 0
    /// The closed state's rolling window: one bucket per second, indexed by second modulo the window.
    private var buckets: [Bucket]
    /// The half-open state's trial calls: admitted and finished.
    private var trialsAdmitted = 0
    private var trials = Bucket()

    private(set) var rejectedOpen: UInt64 = 0
    private(set) var rejectedBulkhead: UInt64 = 0
    private(set) var timeouts: UInt64 = 0
    private(set) var calls: UInt64 = 0
    private var nanosecondsIn: [UInt64] = [0, 0, 0]

    private struct Bucket: Sendable {
        var second: UInt64 = .max
        var calls = 0
        var failures = 0
        var slow = 0
    }

    init(configuration: CircuitBreakerConfiguration = .init(), now: UInt64) {
        self.configuration = configuration
        stateSince = now
        buckets = Array(repeating: Bucket(), count: max(1, configuration.windowSeconds))
    }

    /// Asks to make one call. Open moves to half-open here when the wait is over (so no timer is needed).
    /// `concurrencyLimit` lowers the bulkhead for this call (a blocking call may not take every thread it shares).
    mutating func acquire(now: UInt64, concurrencyLimit: Int = .max) -> (Decision, Transition?) {
        var transition: Transition?
        if state == .open, now &- stateSince >= configuration.waitInOpenNanoseconds {
            transition = move(to: .halfOpen, now: now)
        }
        switch state {
        case .open:
            rejectedOpen += 1
            return (.reject(.open), transition)
        case .halfOpen where trialsAdmitted >= configuration.permittedCallsInHalfOpen:
            rejectedOpen += 1
            return (.reject(.open), transition)
        case .closed, .halfOpen:
            guard inFlight < min(configuration.maxConcurrentCalls, concurrencyLimit) else {
                rejectedBulkhead += 1
                return (.reject(.bulkheadFull), transition)
            }
            inFlight += 1
            calls += 1
            if state == .halfOpen { trialsAdmitted += 1 }
            return (.call(Permit(generation: generation, startedAt: now),
                          timeoutNanoseconds: configuration.callTimeoutNanoseconds), transition)
        }
    }

    /// Records how an admitted call ended: `succeeded` false for an error, a bad status or a timeout
    /// (`timedOut`). Its duration (now − permit start) decides "slow". Returns the state change it caused, if any.
    mutating func record(_ permit: Permit, succeeded: Bool, timedOut: Bool = false, now: UInt64) -> Transition? {
        inFlight = max(0, inFlight - 1)
        if timedOut { timeouts += 1 }
        guard permit.generation == generation else { return nil }  // admitted under an earlier state
        let failed = !succeeded || timedOut
        let slow = now &- permit.startedAt >= configuration.slowCallDurationNanoseconds
        switch state {
        case .open:
            return nil
        case .closed:
            let second = now / 1_000_000_000
            let index = Int(second % UInt64(buckets.count))
            if buckets[index].second != second { buckets[index] = Bucket(second: second) }
            buckets[index].calls += 1
            if failed { buckets[index].failures += 1 }
            if slow { buckets[index].slow += 1 }
            let window = windowTotals(now: now)
            guard window.calls >= configuration.minimumNumberOfCalls, exceedsThresholds(window) else { return nil }
            return move(to: .open, now: now)
        case .halfOpen:
            trials.calls += 1
            if failed { trials.failures += 1 }
            if slow { trials.slow += 1 }
            guard trials.calls >= configuration.permittedCallsInHalfOpen else { return nil }
            return move(to: exceedsThresholds(trials) ? .open : .closed, now: now)
        }
    }

    /// Failure share of the calls in the current window (closed) or of the trial calls (half-open); 0 when open.
    func failureRate(now: UInt64) -> Double {
        let totals = currentTotals(now: now)
        return totals.calls == 0 ? 0 : Double(totals.failures) / Double(totals.calls)
    }

    /// Slow-call share, as `failureRate`.
    func slowCallRate(now: UInt64) -> Double {
        let totals = currentTotals(now: now)
        return totals.calls == 0 ? 0 : Double(totals.slow) / Double(totals.calls)
    }

    /// Total time spent in `state` up to `now`.
    func nanoseconds(in state: State, now: UInt64) -> UInt64 {
        nanosecondsIn[state.rawValue] &+ (state == self.state ? now &- stateSince : 0)
    }

    // MARK: Private

    private func currentTotals(now: UInt64) -> Bucket {
        switch state {
        case .closed: windowTotals(now: now)
        case .halfOpen: trials
        case .open: Bucket()
        }
    }

    private func exceedsThresholds(_ totals: Bucket) -> Bool {
        guard totals.calls > 0 else { return false }
        let calls = Double(totals.calls)
        return Double(totals.failures) / calls >= configuration.failureRateThreshold
            || Double(totals.slow) / calls >= configuration.slowCallRateThreshold
    }

    /// Sums the buckets whose second lies within the window ending now.
    private func windowTotals(now: UInt64) -> Bucket {
        let second = now / 1_000_000_000
        var totals = Bucket()
        for bucket in buckets where bucket.second != .max && bucket.second <= second
            && second - bucket.second < UInt64(buckets.count) {
            totals.calls += bucket.calls
            totals.failures += bucket.failures
            totals.slow += bucket.slow
        }
        return totals
    }

    private mutating func move(to next: State, now: UInt64) -> Transition {
        let transition = Transition(from: state, to: next, atNanoseconds: now)
        nanosecondsIn[state.rawValue] &+= now &- stateSince
        state = next
        stateSince = now
        generation &+= 1
        trialsAdmitted = 0
        trials = Bucket()
        if next == .closed {
            for index in buckets.indices { buckets[index] = Bucket() }  // a fresh start: old failures are history
        }
        return transition
    }
}
