import Metrics

/// The outcome of a threshold check.
public struct ThresholdOutcome: Sendable, Codable, Equatable {
    /// "p99", "errorRate", ...
    public var name: String
    /// Human-readable limit and actual ("≤ 200 ms", "153 ms").
    public var limit: String
    public var actual: String
    public var passed: Bool
}

/// Everything a report needs about a finished (or stopped) run.
public struct RunResult: Sendable {
    public var profile: Profile
    public var targetDescription: String
    public var startedAt: String          // ISO-8601 wall clock
    public var warmupSeconds: Double
    public var measuredSeconds: Double
    public var final: Snapshot            // totals are over the measured part
    /// One row per measured second (`SecondFold`'s rule), the last one partial.
    public var samples: [SecondSample]
    public var events: [TimelineEvent]
    public var knobValues: [String: String]
    public var thresholds: [ThresholdOutcome]
    /// Each route's whole latency histograms (empty when the driver has none), for report.json.
    public var routeHistograms: [RouteHistograms] = []
    public var passed: Bool { thresholds.allSatisfy(\.passed) }

    /// Achieved completions per second over the measured part.
    public var achievedRate: Double {
        measuredSeconds > 0 ? Double(final.load.total.completed) / measuredSeconds : 0
    }
}

/// Checks the profile's thresholds against the measured totals.
public func evaluateThresholds(_ t: Thresholds, load: LoadSnapshot, achievedRate: Double) -> [ThresholdOutcome] {
    var out: [ThresholdOutcome] = []
    let h = load.latencyTotal.summary
    func latency(_ name: String, _ limit: Double?, _ actual: UInt64) {
        guard let limit else { return }
        let limitNs = UInt64(limit * 1e9)
        out.append(ThresholdOutcome(name: name, limit: "≤ " + formatLatency(nanoseconds: limitNs),
                                    actual: h.count == 0 ? "no responses" : formatLatency(nanoseconds: actual),
                                    passed: h.count > 0 && actual <= limitNs))
    }
    latency("p50", t.p50Seconds, h.p50)
    latency("p95", t.p95Seconds, h.p95)
    latency("p99", t.p99Seconds, h.p99)
    latency("max", t.maxSeconds, h.max)
    if let limit = t.maxErrorRate {
        // Errors a route declares as expected (a 409 on a repeated write) are not server faults.
        let rate = load.total.unexpectedErrorRate
        out.append(ThresholdOutcome(name: "errorRate", limit: "≤ " + percent(limit), actual: percent(rate),
                                    passed: rate <= limit && load.total.sent > 0))
    }
    if let limit = t.minRate {
        out.append(ThresholdOutcome(name: "minRate", limit: "≥ \(threeDigits(limit))/s", actual: "\(threeDigits(achievedRate))/s",
                                    passed: achievedRate >= limit))
    }
    return out
}

func percent(_ fraction: Double) -> String { threeDigits(fraction * 100) + "%" }
