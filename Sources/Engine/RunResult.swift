import Metrics

/// One second of a run, for time-series charts and report.json.
public struct SecondSample: Sendable, Codable, Equatable {
    public var t: Double
    public var offeredRate: Double
    public var achievedRate: Double
    public var errors: UInt64
    public var inFlight: Int
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var max: UInt64
    /// Service-time p99 (uncorrected), to show coordinated omission at a glance.
    public var serviceP99: UInt64
    public var cacheHitRate: Double?
    public var poolInUse: Int?
    public var rssBytes: UInt64?
    public var dbQueriesPerRequest: Double?
}

/// Folds per-tick snapshots into per-second samples (constant work per tick, memory grows one row per second).
struct SecondAccumulator {
    private var second: Int = 0
    private var latency = LatencyHistogram()
    private var service = LatencyHistogram()
    private var offered: Double = 0
    private var achieved: Double = 0
    private var seconds: Double = 0
    private var errors: UInt64 = 0
    private var lastSnapshot: Snapshot?
    private var backendAtStart: BackendSnapshot?
    private(set) var samples: [SecondSample] = []

    mutating func add(_ s: Snapshot) {
        let index = Int(s.elapsedSeconds.rounded(.down))
        if index != second, seconds > 0 { flush() }
        if seconds == 0 { backendAtStart = lastSnapshot?.backend ?? s.backend }
        second = index
        latency.merge(s.load.latencyInterval)
        service.merge(s.load.serviceInterval)
        offered += s.load.offeredRate * s.intervalSeconds
        achieved += s.load.achievedRate * s.intervalSeconds
        seconds += s.intervalSeconds
        errors += s.load.interval.errors
        lastSnapshot = s
    }

    mutating func finish() { if seconds > 0 { flush() } }

    private mutating func flush() {
        guard let last = lastSnapshot else { return }
        var row = SecondSample(
            t: Double(second + 1), offeredRate: offered / seconds, achievedRate: achieved / seconds, errors: errors,
            inFlight: last.load.inFlight, p50: latency.percentile(50), p90: latency.percentile(90),
            p99: latency.percentile(99), max: latency.maxNanoseconds, serviceP99: service.percentile(99))
        if let b = last.backend {
            row.cacheHitRate = b.cache.flatMap { now in
                let before = backendAtStart?.cache ?? CacheProbe()
                let h = now.hits &- before.hits, m = now.misses &- before.misses
                return h + m == 0 ? nil : Double(h) / Double(h + m)
            }
            row.poolInUse = b.pool?.inUse
            row.rssBytes = b.rssBytes
            let q = b.routes.reduce(UInt64(0)) { $0 + $1.dbQueries }, r = b.routes.reduce(UInt64(0)) { $0 + $1.requests }
            let q0 = backendAtStart?.routes.reduce(UInt64(0)) { $0 + $1.dbQueries } ?? 0
            let r0 = backendAtStart?.routes.reduce(UInt64(0)) { $0 + $1.requests } ?? 0
            if r > r0 { row.dbQueriesPerRequest = Double(q &- q0) / Double(r - r0) }
        }
        samples.append(row)
        latency.reset(); service.reset()
        offered = 0; achieved = 0; seconds = 0; errors = 0
    }
}

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
    public var samples: [SecondSample]
    public var events: [TimelineEvent]
    public var knobValues: [String: String]
    public var thresholds: [ThresholdOutcome]
    public var passed: Bool { thresholds.allSatisfy(\.passed) }

    /// Achieved completions per second over the measured part.
    public var achievedRate: Double {
        measuredSeconds > 0 ? Double(final.load.total.completed) / measuredSeconds : 0
    }
}

/// Checks the profile's thresholds against the measured totals.
public func evaluateThresholds(_ t: Thresholds, load: LoadSnapshot, achievedRate: Double) -> [ThresholdOutcome] {
    var out: [ThresholdOutcome] = []
    let h = load.latencyTotal
    func latency(_ name: String, _ limit: Double?, _ actual: UInt64) {
        guard let limit else { return }
        let limitNs = UInt64(limit * 1e9)
        out.append(ThresholdOutcome(name: name, limit: "≤ " + formatLatency(nanoseconds: limitNs),
                                    actual: h.isEmpty ? "no responses" : formatLatency(nanoseconds: actual),
                                    passed: !h.isEmpty && actual <= limitNs))
    }
    latency("p50", t.p50Seconds, h.percentile(50))
    latency("p95", t.p95Seconds, h.percentile(95))
    latency("p99", t.p99Seconds, h.percentile(99))
    latency("max", t.maxSeconds, h.maxNanoseconds)
    if let limit = t.maxErrorRate {
        let rate = load.total.errorRate
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
