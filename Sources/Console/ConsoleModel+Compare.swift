import Metrics

/// One line of the A/B comparison: a metric's baseline (the marked window) against now.
public struct ComparisonRow: Sendable, Equatable {
    public enum Metric: String, Sendable, CaseIterable {
        case rate, p50, p99, errors = "errors", queriesPerRequest = "queries/req"
        /// Which direction is an improvement.
        var higherIsBetter: Bool { self == .rate }
        func value(_ s: SecondSample) -> Double? {
            switch self {
            case .rate: return s.rate
            case .p50: return s.rate > 0 || s.latency.p50 > 0 ? Double(s.latency.p50) : nil
            case .p99: return s.rate > 0 || s.latency.p99 > 0 ? Double(s.latency.p99) : nil
            case .errors: return s.errorRate
            case .queriesPerRequest: return s.backend?.queriesPerRequest
            }
        }
    }

    public enum Verdict: Sendable, Equatable {
        /// Outside the noise band, in the good direction.
        case better
        /// Outside the noise band, in the bad direction.
        case worse
        /// Inside the noise band: jitter, not a change.
        case noise
        /// Not enough seconds (or no data) to tell.
        case unknown
    }

    public var metric: Metric
    public var baseline: Double?
    public var current: Double?
    /// Half-width of the noise band around the baseline mean (2 standard errors of the difference of means).
    public var band: Double?
    public var baselineSeconds: Int
    public var currentSeconds: Int

    public var delta: Double? {
        guard let b = baseline, let c = current else { return nil }
        return c - b
    }

    public var verdict: Verdict {
        guard let d = delta, let band else { return .unknown }
        // A difference at rounding level is no difference, even with a zero band (a perfectly steady metric).
        if abs(d) <= band + 1e-9 * max(abs(baseline ?? 0), 1) { return .noise }
        return (d > 0) == metric.higherIsBetter ? .better : .worse
    }
}

/// Mean and sample standard deviation.
struct Spread {
    var count: Int
    var mean: Double
    var deviation: Double

    init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        count = values.count
        mean = values.reduce(0, +) / Double(values.count)
        let m = mean
        deviation = values.count < 2 ? 0 : (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
}

extension ConsoleModel {
    /// The A/B rows while a mark is set (nil otherwise). "Current" is the mean of the seconds completed since the
    /// mark, at most as many as the baseline has; the noise band comes from the per-second variation of both, so a
    /// change inside it is jitter. With fewer than 2 baseline seconds the verdict is `.unknown`.
    public var comparison: [ComparisonRow]? {
        guard let mark else { return nil }
        let after = seconds.elements.filter { $0.second > mark.atSecond }
        let current = Array(after.suffix(max(mark.baseline.count, 1)))
        return ComparisonRow.Metric.allCases.map { metric in
            let b = Spread(mark.baseline.compactMap(metric.value))
            let c = Spread(current.compactMap(metric.value))
            var band: Double?
            if let b, let c, b.count >= 2 {
                // Without a spread of its own yet, "current" borrows the baseline's.
                let cDeviation = c.count >= 2 ? c.deviation : b.deviation
                band = 2 * (b.deviation * b.deviation / Double(b.count) + cDeviation * cDeviation / Double(c.count)).squareRoot()
            }
            return ComparisonRow(metric: metric, baseline: b?.mean, current: c?.mean, band: band,
                                 baselineSeconds: b?.count ?? 0, currentSeconds: c?.count ?? 0)
        }
    }
}
