import Engine
import Foundation
import Synchronization

/// A `RunClock` the test steps: `now()` moves only when the test calls `advance(by:)`, and `sleep(until:)` blocks
/// until the test has moved time past the deadline. `waitForSleeper()` tells the test that the session's tick
/// loop has done everything due so far and is waiting again, so each step is deterministic.
public final class ManualRunClock: RunClock {
    private struct State {
        var now: UInt64
        /// The deadline the (single) sleeper waits for, nil when nobody sleeps.
        var sleepingUntil: UInt64?
    }
    private let state: Mutex<State>
    /// Guards waiting and waking: every change of `state` happens while it is held, so no wake-up is lost.
    private let condition = NSCondition()

    /// - Parameter start: the first `now()`, in nanoseconds (default 1 s: zero means "unset" to some callers).
    public init(start: UInt64 = 1_000_000_000) { state = Mutex(State(now: start)) }

    public func now() -> UInt64 { state.withLock { $0.now } }

    public func sleep(until deadline: UInt64) {
        condition.lock()
        defer { condition.unlock() }
        state.withLock { $0.sleepingUntil = deadline }
        condition.broadcast()
        while state.withLock({ $0.now < deadline }) { condition.wait() }
        state.withLock { $0.sleepingUntil = nil }
        condition.broadcast()
    }

    /// Moves time forward and wakes a sleeper whose deadline has passed.
    public func advance(by nanoseconds: UInt64) {
        condition.lock()
        state.withLock { $0.now += nanoseconds }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits (up to `timeout` of real time) until someone sleeps for a deadline still ahead of `now()`: the
    /// sleeper has caught up with time. Returns that deadline, or nil on timeout.
    @discardableResult
    public func waitForSleeper(timeout: TimeInterval = 30) -> UInt64? {
        let limit = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let s = state.withLock { $0 }
            if let deadline = s.sleepingUntil, deadline > s.now { return deadline }
            guard condition.wait(until: limit) else { return nil }
        }
    }

    /// Steps time to the sleeper's next deadline, once per tick, until `now()` has moved by `nanoseconds`; after
    /// each step waits for the sleeper to catch up. Returns false if it stopped sleeping (e.g. the run ended).
    @discardableResult
    public func step(through nanoseconds: UInt64, timeout: TimeInterval = 30) -> Bool {
        let end = now() + nanoseconds
        while now() < end {
            guard let deadline = waitForSleeper(timeout: timeout) else { return false }
            advance(by: min(deadline, end) - now())
        }
        return true
    }
}
