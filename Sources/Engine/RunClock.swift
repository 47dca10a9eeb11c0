import Foundation
import Metrics

/// Where a run's time comes from: "now" in monotonic nanoseconds, and waiting for a deadline. The session ticks on
/// one; tests step a manual one (`ManualRunClock` in TestSupport) instead of sleeping.
public protocol RunClock: Sendable {
    func now() -> UInt64
    /// Returns once `now() >= deadline` (at once if it already is).
    func sleep(until deadline: UInt64)
}

/// The real monotonic clock; `sleep(until:)` is `nanosleep`, resumed after signals.
public struct SystemRunClock: RunClock {
    public init() {}

    public func now() -> UInt64 { MonotonicClock.nanoseconds() }

    public func sleep(until deadline: UInt64) {
        let now = now()
        guard deadline > now else { return }
        var request = timespec(tv_sec: Int((deadline - now) / 1_000_000_000), tv_nsec: Int((deadline - now) % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
