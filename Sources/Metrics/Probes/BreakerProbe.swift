/// The `breaker` knob's probe, one per dependency.
public struct BreakerProbe: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        case off, closed, open
        case halfOpen = "half-open"
    }

    /// One state change, for the panel's state timeline and the run's timeline ("breaker opened").
    public struct Transition: Sendable, Equatable {
        /// Increases by one per change since the backend started (consumers keep the last one they saw).
        public var sequence: UInt64
        /// Monotonic nanoseconds (the clock of `MonotonicClock`).
        public var atNanoseconds: UInt64
        public var from: State
        public var to: State
        public init(sequence: UInt64, atNanoseconds: UInt64, from: State, to: State) {
            self.sequence = sequence; self.atNanoseconds = atNanoseconds; self.from = from; self.to = to
        }
    }

    public var dependency: String
    public var state: State = .off
    /// Share of failed calls in the rolling window (closed) or among the trial calls (half-open).
    public var failureRate: Double = 0
    /// Share of calls slower than the slow-call threshold, same window.
    public var slowCallRate: Double = 0
    /// Calls let through (totals since start).
    public var calls: UInt64 = 0
    public var failures: UInt64 = 0
    /// Calls not made: circuit open, or the bulkhead full.
    public var rejected: UInt64 = 0
    public var rejectedBulkhead: UInt64 = 0
    /// Calls abandoned at the call timeout.
    public var timeouts: UInt64 = 0
    public var inFlight: Int = 0
    /// Seconds spent in closed, open and half-open since the breaker was created.
    public var secondsClosed: Double = 0
    public var secondsOpen: Double = 0
    public var secondsHalfOpen: Double = 0
    /// The most recent state changes, oldest first (bounded).
    public var transitions: [Transition] = []
    /// When this probe was taken (monotonic ns), to place `transitions` in time.
    public var probedAtNanoseconds: UInt64 = 0
    public init(dependency: String) { self.dependency = dependency }
}
