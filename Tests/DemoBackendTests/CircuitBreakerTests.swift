import Testing
@testable import DemoBackend

/// The breaker is stepped with explicit timestamps (a test clock), never with sleeps.
@Suite("Dependency: circuit breaker state machine")
struct CircuitBreakerTests {
    static let ms: UInt64 = 1_000_000
    static let second: UInt64 = 1_000_000_000

    /// A small configuration so every transition takes a handful of calls.
    static var small: CircuitBreakerConfiguration {
        var c = CircuitBreakerConfiguration()
        c.minimumNumberOfCalls = 4
        c.permittedCallsInHalfOpen = 2
        c.maxConcurrentCalls = 3
        return c
    }

    /// Admits one call at `now` and records it `duration` later.
    @discardableResult
    static func call(_ breaker: inout CircuitBreaker, at now: UInt64, succeeded: Bool, duration: UInt64 = 1_000_000,
                     timedOut: Bool = false) -> CircuitBreaker.Transition? {
        guard case (.call(let permit, _), _) = breaker.acquire(now: now) else {
            Issue.record("call at \(now) was rejected")
            return nil
        }
        return breaker.record(permit, succeeded: succeeded, timedOut: timedOut, now: now + duration)
    }

    @Test func closedStaysClosedBelowTheMinimumNumberOfCalls() {
        var breaker = CircuitBreaker(configuration: Self.small, now: 0)
        for i in 0..<3 { #expect(Self.call(&breaker, at: UInt64(i) * Self.ms, succeeded: false) == nil) }
        #expect(breaker.state == .closed)
        #expect(breaker.failureRate(now: 10 * Self.ms) == 1)
    }

    @Test func closedOpensWhenTheFailureRateReachesTheThreshold() {
        var breaker = CircuitBreaker(configuration: Self.small, now: 0)
        Self.call(&breaker, at: 0, succeeded: true)
        Self.call(&breaker, at: 1 * Self.ms, succeeded: true)
        Self.call(&breaker, at: 2 * Self.ms, succeeded: false)
        let transition = Self.call(&breaker, at: 3 * Self.ms, succeeded: false)  // 2 of 4 = 50%
        #expect(transition == .init(from: .closed, to: .open, atNanoseconds: 4 * Self.ms))
        #expect(breaker.state == .open)
    }

    @Test func closedOpensWhenMostCallsAreSlow() {
        var breaker = CircuitBreaker(configuration: Self.small, now: 0)
        var last: CircuitBreaker.Transition?
        for i in 0..<4 { last = Self.call(&breaker, at: UInt64(i) * Self.second / 10, succeeded: true, duration: 300 * Self.ms) }
        #expect(last?.to == .open)
        #expect(breaker.state == .open)
    }

    @Test func failuresOlderThanTheWindowNoLongerCount() {
        var breaker = CircuitBreaker(configuration: Self.small, now: 0)
        for i in 0..<3 { Self.call(&breaker, at: UInt64(i) * Self.ms, succeeded: false) }
        // 11 s later the three failures have left the 10 s window: one more failure is 1 call, below the minimum.
        let later = 11 * Self.second
        #expect(Self.call(&breaker, at: later, succeeded: false) == nil)
        #expect(breaker.state == .closed)
        #expect(breaker.failureRate(now: later) == 1)
    }

    @Test func openBreakerRejectsUntilWaitElapses() {
        var breaker = Self.opened()
        let openedAt = 4 * Self.ms
        let (early, noTransition) = breaker.acquire(now: openedAt + Self.small.waitInOpenNanoseconds - 1)
        #expect(early == .reject(.open))
        #expect(noTransition == nil)
        #expect(breaker.rejectedOpen == 1)
        let (trial, transition) = breaker.acquire(now: openedAt + Self.small.waitInOpenNanoseconds)
        guard case .call = trial else {
            Issue.record("first call after the wait should be a trial")
            return
        }
        #expect(transition?.from == .open)
        #expect(transition?.to == .halfOpen)
        #expect(breaker.state == .halfOpen)
    }

    @Test func halfOpenAdmitsOnlyThePermittedTrialCalls() {
        var breaker = Self.halfOpened()
        #expect(breaker.state == .halfOpen)
        // halfOpened() admitted one trial already; one more is permitted, then the rest are rejected.
        guard case (.call, _) = breaker.acquire(now: 10 * Self.second) else {
            Issue.record("second trial should be admitted")
            return
        }
        #expect(breaker.acquire(now: 10 * Self.second).0 == .reject(.open))
    }

    @Test func halfOpenClosesWhenTheTrialCallsSucceed() {
        var breaker = Self.halfOpened()
        let now = 10 * Self.second
        guard case (.call(let second, _), _) = breaker.acquire(now: now) else { return }
        #expect(breaker.record(Self.pendingTrial, succeeded: true, now: now + Self.ms) == nil)
        let transition = breaker.record(second, succeeded: true, now: now + 2 * Self.ms)
        #expect(transition?.from == .halfOpen)
        #expect(transition?.to == .closed)
        // A fresh window: the failures that opened it do not count any more.
        #expect(breaker.failureRate(now: now + 3 * Self.ms) == 0)
    }

    @Test func halfOpenReopensWhenATrialCallFails() {
        var breaker = Self.halfOpened()
        let now = 10 * Self.second
        guard case (.call(let second, _), _) = breaker.acquire(now: now) else { return }
        _ = breaker.record(Self.pendingTrial, succeeded: true, now: now + Self.ms)
        let transition = breaker.record(second, succeeded: false, timedOut: true, now: now + Self.second)
        #expect(transition == .init(from: .halfOpen, to: .open, atNanoseconds: now + Self.second))
        #expect(breaker.timeouts == 1)
        // Open again: a new full wait before the next trial.
        #expect(breaker.acquire(now: now + Self.second + 1).0 == .reject(.open))
    }

    @Test func bulkheadRejectsBeyondMaxConcurrentCalls() {
        var breaker = CircuitBreaker(configuration: Self.small, now: 0)
        var permits: [CircuitBreaker.Permit] = []
        for _ in 0..<3 {
            guard case (.call(let permit, let timeout), _) = breaker.acquire(now: 0) else { return }
            #expect(timeout == Self.small.callTimeoutNanoseconds)
            permits.append(permit)
        }
        #expect(breaker.acquire(now: 0).0 == .reject(.bulkheadFull))
        #expect(breaker.rejectedBulkhead == 1)
        _ = breaker.record(permits[0], succeeded: true, now: Self.ms)
        guard case (.call, _) = breaker.acquire(now: Self.ms) else {
            Issue.record("a freed slot should admit a call")
            return
        }
        #expect(breaker.inFlight == 3)
    }

    @Test func aCallsConcurrencyLimitTightensTheBulkhead() {
        var breaker = CircuitBreaker(configuration: Self.small, now: 0)
        guard case (.call, _) = breaker.acquire(now: 0, concurrencyLimit: 2),
              case (.call, _) = breaker.acquire(now: 0, concurrencyLimit: 2) else {
            Issue.record("two calls fit a limit of two")
            return
        }
        #expect(breaker.acquire(now: 0, concurrencyLimit: 2).0 == .reject(.bulkheadFull))
        // Without the tighter limit the configured bulkhead (3) still has room.
        guard case (.call, _) = breaker.acquire(now: 0) else {
            Issue.record("the configured bulkhead has a third slot")
            return
        }
        #expect(breaker.acquire(now: 0).0 == .reject(.bulkheadFull))
        #expect(breaker.rejectedBulkhead == 2)
    }

    @Test func callsAdmittedBeforeAStateChangeDoNotDecideTheNextState() {
        var breaker = CircuitBreaker(configuration: Self.small, now: 0)
        guard case (.call(let straggler, _), _) = breaker.acquire(now: 0) else { return }
        for i in 1...4 { Self.call(&breaker, at: UInt64(i) * Self.ms, succeeded: false) }
        #expect(breaker.state == .open)
        // The straggler from the closed state finishes while open: it frees its bulkhead slot, changes nothing.
        #expect(breaker.record(straggler, succeeded: true, now: 10 * Self.ms) == nil)
        #expect(breaker.inFlight == 0)
        #expect(breaker.state == .open)
    }

    @Test func timeInEachStateAddsUp() {
        var breaker = Self.opened()  // closed 0 → 4 ms, then open
        let now = 3 * Self.second
        #expect(breaker.nanoseconds(in: .closed, now: now) == 4 * Self.ms)
        #expect(breaker.nanoseconds(in: .open, now: now) == now - 4 * Self.ms)
        #expect(breaker.nanoseconds(in: .halfOpen, now: now) == 0)
        _ = breaker.acquire(now: 10 * Self.second)  // → half-open
        #expect(breaker.nanoseconds(in: .open, now: 10 * Self.second) == 10 * Self.second - 4 * Self.ms)
    }

    @Test func defaultsFollowTheDocumentedReferences() {
        let c = CircuitBreakerConfiguration()
        #expect(c.failureRateThreshold == 0.5)
        #expect(c.callTimeoutNanoseconds == 1_000_000_000)
        #expect(c.maxConcurrentCalls == 25)
        #expect(c.waitInOpenNanoseconds == 5_000_000_000)
    }

    // MARK: Helpers

    /// Opened by four failures at 0…3 ms (each lasting 1 ms): open since 4 ms.
    static func opened() -> CircuitBreaker {
        var breaker = CircuitBreaker(configuration: small, now: 0)
        for i in 0..<4 { call(&breaker, at: UInt64(i) * ms, succeeded: false) }
        return breaker
    }

    /// The first trial's permit of `halfOpened()` (generation 2: closed → open → half-open; started at 10 s).
    static let pendingTrial = CircuitBreaker.Permit(generation: 2, startedAt: 10 * second)

    /// Opened, then half-open at 10 s with one trial call admitted (`pendingTrial`) and not yet finished.
    static func halfOpened() -> CircuitBreaker {
        var breaker = opened()
        let (decision, _) = breaker.acquire(now: 10 * second)
        #expect(decision == .call(pendingTrial, timeoutNanoseconds: small.callTimeoutNanoseconds))
        return breaker
    }
}
