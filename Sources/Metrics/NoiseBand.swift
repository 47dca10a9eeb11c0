/// Mean and sample standard deviation of a series of per-second values.
public struct Spread: Sendable, Equatable {
    public var count: Int
    public var mean: Double
    public var deviation: Double

    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        count = values.count
        mean = values.reduce(0, +) / Double(values.count)
        let m = mean
        deviation = values.count < 2 ? 0 : (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
}

/// Baseline against current for one metric, from per-second values: the means and a noise band. The band is
/// 2 standard errors of the difference of the means, so a change inside it is jitter. The console's A/B mark and
/// `dyno compare` both judge with it.
public struct NoiseBand: Sendable, Equatable {
    public enum Verdict: String, Sendable, Equatable, Codable {
        /// Outside the noise band, in the good direction.
        case better
        /// Outside the noise band, in the bad direction.
        case worse
        /// Inside the noise band: jitter, not a change.
        case noise
        /// Not enough seconds (or no data) to tell.
        case unknown
    }

    public var baseline: Spread?
    public var current: Spread?
    /// Half-width of the band around the baseline mean; nil with fewer than 2 baseline values.
    public var band: Double?

    /// Without a spread of its own yet (one value), `current` borrows the baseline's.
    public init(baseline: [Double], current: [Double]) {
        self.baseline = Spread(baseline)
        self.current = Spread(current)
        if let b = self.baseline, let c = self.current, b.count >= 2 {
            let cDeviation = c.count >= 2 ? c.deviation : b.deviation
            band = 2 * (b.deviation * b.deviation / Double(b.count) + cDeviation * cDeviation / Double(c.count)).squareRoot()
        }
    }

    public var delta: Double? {
        guard let b = baseline?.mean, let c = current?.mean else { return nil }
        return c - b
    }

    public func verdict(higherIsBetter: Bool) -> Verdict {
        Self.verdict(baseline: baseline?.mean, current: current?.mean, band: band, higherIsBetter: higherIsBetter)
    }

    /// The verdict for means `baseline` and `current` and a band's half-width (`.unknown` when one is missing).
    public static func verdict(baseline: Double?, current: Double?, band: Double?, higherIsBetter: Bool) -> Verdict {
        guard let b = baseline, let c = current, let band else { return .unknown }
        let d = c - b
        // A difference at rounding level is no difference, even with a zero band (a perfectly steady metric).
        if abs(d) <= band + 1e-9 * max(abs(b), 1) { return .noise }
        return (d > 0) == higherIsBetter ? .better : .worse
    }
}
