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
            case .errors: return s.unexpectedErrorRate
            case .queriesPerRequest: return s.backend?.queriesPerRequest
            }
        }
    }

    public typealias Verdict = NoiseBand.Verdict

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
        NoiseBand.verdict(baseline: baseline, current: current, band: band, higherIsBetter: metric.higherIsBetter)
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
            let judged = NoiseBand(baseline: mark.baseline.compactMap(metric.value), current: current.compactMap(metric.value))
            let b = judged.baseline, c = judged.current, band = judged.band
            return ComparisonRow(metric: metric, baseline: b?.mean, current: c?.mean, band: band,
                                 baselineSeconds: b?.count ?? 0, currentSeconds: c?.count ?? 0)
        }
    }
}
