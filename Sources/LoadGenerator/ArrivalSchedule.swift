// The open model's arrival times: a pure function of time, so it can be tested against a virtual clock.


/// When requests should be sent in the open model, as a pure function of time since the schedule started.
///
/// A schedule is a sequence of segments, each with a duration and a rate changing linearly from `fromRate` to
/// `toRate` (equal for a constant rate); after the last segment its end rate holds forever. Arrival number n
/// (0-based) is due at the time t where the cumulative count of arrivals N(t) = ∫ rate reaches n, so arrival 0 is
/// at t = 0 (when the rate there is > 0) and a constant rate r gives arrivals at 0, 1/r, 2/r, … exactly.
/// Times are nanoseconds since the schedule's start.
public struct ArrivalSchedule: Sendable, Equatable {
    /// A stretch of time with a linearly changing rate.
    public struct Segment: Sendable, Equatable {
        public var seconds: Double
        public var fromRate: Double
        public var toRate: Double
        public init(seconds: Double, fromRate: Double, toRate: Double) {
            self.seconds = seconds; self.fromRate = fromRate; self.toRate = toRate
        }
    }

    public let segments: [Segment]
    /// The rate after the last segment.
    public let finalRate: Double
    // Precomputed: start time and cumulative arrivals at each segment's start.
    private let starts: [Double]
    private let cumulative: [Double]

    /// A schedule from explicit segments (validated: durations ≥ 0, rates ≥ 0 and finite).
    public init(segments: [Segment]) throws(LoadPlanError) {
        for (i, s) in segments.enumerated() {
            guard s.seconds.isFinite, s.seconds >= 0 else {
                throw LoadPlanError("schedule segment \(i + 1): duration \(s.seconds) s must be ≥ 0")
            }
            guard s.fromRate.isFinite, s.toRate.isFinite, s.fromRate >= 0, s.toRate >= 0 else {
                throw LoadPlanError("schedule segment \(i + 1): rates \(s.fromRate)→\(s.toRate) must be finite and ≥ 0")
            }
        }
        self.segments = segments
        finalRate = segments.last?.toRate ?? 0
        var starts: [Double] = []
        var cumulative: [Double] = []
        var t = 0.0, n = 0.0
        for s in segments {
            starts.append(t)
            cumulative.append(n)
            t += s.seconds
            n += (s.fromRate + s.toRate) / 2 * s.seconds
        }
        starts.append(t)
        cumulative.append(n)
        self.starts = starts
        self.cumulative = cumulative
    }

    /// `rate` requests per second, forever.
    public static func constant(_ rate: Double) throws(LoadPlanError) -> ArrivalSchedule {
        try ArrivalSchedule(segments: [Segment(seconds: 0, fromRate: rate, toRate: rate)])
    }

    /// From `from` to `to` requests per second linearly over `duration`, then `to` forever.
    public static func ramp(from: Double, to: Double, over duration: Duration) throws(LoadPlanError) -> ArrivalSchedule {
        try ArrivalSchedule(segments: [Segment(seconds: duration.seconds, fromRate: from, toRate: to)])
    }

    /// Constant rates one after another; the last one holds forever.
    public static func steps(_ steps: [(rate: Double, duration: Duration)]) throws(LoadPlanError) -> ArrivalSchedule {
        try ArrivalSchedule(segments: steps.map { Segment(seconds: $0.duration.seconds, fromRate: $0.rate, toRate: $0.rate) })
    }

    /// `base` requests per second, except `spikeRate` during `duration` starting at `at`.
    public static func spike(base: Double, spikeRate: Double, at: Duration,
                             duration: Duration) throws(LoadPlanError) -> ArrivalSchedule {
        try ArrivalSchedule(segments: [
            Segment(seconds: at.seconds, fromRate: base, toRate: base),
            Segment(seconds: duration.seconds, fromRate: spikeRate, toRate: spikeRate),
            Segment(seconds: 0, fromRate: base, toRate: base),
        ])
    }

    /// The intended rate (requests per second) at `nanoseconds` since the start.
    public func rate(at nanoseconds: UInt64) -> Double {
        let t = Double(nanoseconds) / 1e9
        for i in segments.indices where t < starts[i + 1] {
            let s = segments[i]
            return s.seconds == 0 ? s.toRate : s.fromRate + (s.toRate - s.fromRate) * (t - starts[i]) / s.seconds
        }
        return finalRate
    }

    /// N(t): how many arrivals are due in [0, t] counted continuously (arrival n is due when N reaches n).
    public func cumulativeArrivals(at nanoseconds: UInt64) -> Double {
        let t = Double(nanoseconds) / 1e9
        for i in segments.indices where t < starts[i + 1] {
            let s = segments[i]
            let x = t - starts[i]
            let slope = s.seconds == 0 ? 0 : (s.toRate - s.fromRate) / s.seconds
            return cumulative[i] + s.fromRate * x + slope * x * x / 2
        }
        return cumulative[segments.count] + finalRate * (t - starts[segments.count])
    }

    /// The time arrival number `index` (0-based) is due, in nanoseconds since the start; nil if the rate stays 0
    /// forever before it.
    public func arrivalTime(ofIndex index: Int) -> UInt64? {
        let n = Double(index)
        for i in segments.indices where n < cumulative[i + 1] {
            let s = segments[i]
            let k = n - cumulative[i]          // arrivals into this segment
            let a = s.fromRate
            let c = s.seconds == 0 ? 0 : (s.toRate - s.fromRate) / (2 * s.seconds)
            // Solve a·x + c·x² = k for x ≥ 0; this form is stable for c of either sign and for a = 0.
            let root = (a * a + 4 * c * k).squareRoot()
            let x = (a + root) == 0 ? 0 : 2 * k / (a + root)
            return Self.nanoseconds(starts[i] + x)
        }
        guard finalRate > 0 else { return nil }
        return Self.nanoseconds(starts[segments.count] + (n - cumulative[segments.count]) / finalRate)
    }

    /// The index of the first arrival due at or after `nanoseconds`.
    public func firstIndex(atOrAfter nanoseconds: UInt64) -> Int {
        let n = cumulativeArrivals(at: nanoseconds)
        var index = Int((n - 1e-9).rounded(.up))
        if index < 0 { index = 0 }
        // Guard against floating-point disagreement between N(t) and its inverse at the boundary.
        while index > 0, let earlier = arrivalTime(ofIndex: index - 1), earlier >= nanoseconds { index -= 1 }
        while let time = arrivalTime(ofIndex: index), time < nanoseconds { index += 1 }
        return index
    }

    /// The first intended send time strictly after `nanoseconds`, or nil when none will come.
    public func nextSendTime(after nanoseconds: UInt64) -> UInt64? {
        var index = firstIndex(atOrAfter: nanoseconds)
        while let time = arrivalTime(ofIndex: index) {
            if time > nanoseconds { return time }
            index += 1
        }
        return nil
    }

    /// Every intended send time in `range` (nanoseconds since the start), in order. For tests and reports.
    public func intendedSendTimes(in range: Range<UInt64>) -> [UInt64] {
        var times: [UInt64] = []
        var index = firstIndex(atOrAfter: range.lowerBound)
        while let time = arrivalTime(ofIndex: index), time < range.upperBound {
            times.append(time)
            index += 1
        }
        return times
    }

    private static func nanoseconds(_ seconds: Double) -> UInt64 {
        seconds <= 0 ? 0 : UInt64((seconds * 1e9).rounded())
    }
}

extension Duration {
    /// This duration in (fractional) seconds.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }

    /// This duration in whole nanoseconds (0 when negative).
    var nanoseconds: UInt64 {
        let c = components
        guard c.seconds >= 0 else { return 0 }
        return UInt64(c.seconds) &* 1_000_000_000 &+ UInt64(c.attoseconds / 1_000_000_000)
    }
}
