/// Is a memory figure growing? A least-squares line through the samples taken after a warm-up, with its fit
/// quality, and a verdict by a written rule. A pure value: fed samples and their times (any clock: the backend
/// feeds monotonic seconds, tests a counter), it never reads the clock or the process itself.
///
/// The rule (`verdict`): `growing` when, over the last `windowSamples` samples taken after `warmUpSeconds`,
/// - there are at least `minimumSamples` of them spanning at least `minimumSpanSeconds`,
/// - the fitted slope is at least `growthThresholdBytesPerSecond`, and
/// - the fit explains at least `minimumFit` of the variance (R²): growth that is steady, not one step or noise;
/// otherwise `flat`; and `collecting` until the first condition holds.
public struct LeakDetector: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Samples before this (seconds since the first sample) are ignored: caches, pools and the allocator
        /// fill up first. Default 30 s.
        public var warmUpSeconds: Double = 30
        /// The fit covers the newest samples only, so a leak that starts late is caught and one that stopped
        /// ages out. Default 120 (two minutes at one sample a second).
        public var windowSamples: Int = 120
        /// Default 20.
        public var minimumSamples: Int = 20
        /// Default 20 s.
        public var minimumSpanSeconds: Double = 20
        /// Default 16 KiB/s ≈ 1 MiB a minute, 1.3 GiB a day: anything slower is below what a 5-minute run can
        /// tell apart from allocator noise (measured: a steady bounded run wanders ±2 MiB).
        public var growthThresholdBytesPerSecond: Double = 16 * 1024
        /// Default 0.5: at least half the variation is the trend (a leak of 1 MiB/min under ±2 MiB of allocator
        /// noise reaches it within two minutes; a one-off step or a wobble does not).
        public var minimumFit: Double = 0.5
        public init() {}
    }

    public let configuration: Configuration
    private var firstTime: Double?
    /// Ring buffer of the newest samples after warm-up (constant memory).
    private var times: [Double] = []
    private var values: [Double] = []
    private var next = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        times.reserveCapacity(configuration.windowSamples)
        values.reserveCapacity(configuration.windowSamples)
    }

    /// Adds one sample: `bytes` at `seconds` (any monotonic origin).
    public mutating func record(atSeconds seconds: Double, bytes: Double) {
        let first = firstTime ?? seconds
        firstTime = first
        guard seconds - first >= configuration.warmUpSeconds else { return }
        if times.count < configuration.windowSamples {
            times.append(seconds)
            values.append(bytes)
        } else {
            times[next] = seconds
            values[next] = bytes
            next = (next + 1) % configuration.windowSamples
        }
    }

    /// The reading of a whole series at once, (seconds, bytes) in time order: for series sampled elsewhere (a
    /// verify trial, a soak, a scraped target's RSS) judged by the same rule as the live detector.
    public static func assess<S: Sequence>(_ series: S, configuration: Configuration) -> LeakAssessment
    where S.Element == (Double, Double) {
        var detector = LeakDetector(configuration: configuration)
        for (seconds, bytes) in series { detector.record(atSeconds: seconds, bytes: bytes) }
        return detector.assessment
    }

    /// Forgets every sample (after a knob change the old trend says nothing about the new setting).
    public mutating func reset() {
        firstTime = nil
        times.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        next = 0
    }

    public var assessment: LeakAssessment {
        let n = times.count
        var result = LeakAssessment()
        result.samples = n
        guard n >= 2 else { return result }
        // Least squares around the means (centred sums: no precision loss from large absolute times/values).
        let meanT = times.reduce(0, +) / Double(n)
        let meanV = values.reduce(0, +) / Double(n)
        var stt = 0.0, stv = 0.0, svv = 0.0
        for i in 0..<n {
            let dt = times[i] - meanT, dv = values[i] - meanV
            stt += dt * dt; stv += dt * dv; svv += dv * dv
        }
        let span = (times.max() ?? 0) - (times.min() ?? 0)
        result.spanSeconds = span
        guard stt > 0 else { return result }
        result.slopeBytesPerSecond = stv / stt
        // R² of a simple linear fit; a perfectly constant series has nothing to explain: fit 0, i.e. "not growing".
        result.fit = svv > 0 ? (stv * stv) / (stt * svv) : 0
        let c = configuration
        guard n >= c.minimumSamples, span >= c.minimumSpanSeconds else { return result }
        let growing = result.slopeBytesPerSecond >= c.growthThresholdBytesPerSecond && result.fit >= c.minimumFit
        result.verdict = growing ? .growing : .flat
        return result
    }
}

/// The detector's reading: slope, fit, and the verdict.
public struct LeakAssessment: Sendable, Equatable {
    public var verdict: LeakVerdict = .collecting
    /// Least-squares slope over the window, bytes per second (0 with fewer than 2 samples).
    public var slopeBytesPerSecond: Double = 0
    /// R² of the fit, 0...1.
    public var fit: Double = 0
    public var samples: Int = 0
    public var spanSeconds: Double = 0
    public init() {}
}

public enum LeakVerdict: String, Sendable, Equatable, CaseIterable {
    /// Not enough samples after warm-up yet.
    case collecting
    case flat
    case growing
}
