import Foundation
import Metrics

/// A metric `dyno compare` judges.
public enum ComparisonMetric: String, Sendable, Codable, CaseIterable {
    case rate, p50, p95, p99, errors
    case queriesPerRequest = "queries"

    /// Which direction is an improvement.
    public var higherIsBetter: Bool { self == .rate }

    /// The whole run's figure (latency in ms, errors as a fraction, rate per second); nil when absent.
    func overall(_ r: Report) -> Double? {
        switch self {
        case .rate: return r.totals.achievedRate
        case .p50: return r.totals.completed > 0 ? r.totals.latency.p50 : nil
        case .p95: return r.totals.completed > 0 ? r.totals.latency.p95 : nil
        case .p99: return r.totals.completed > 0 ? r.totals.latency.p99 : nil
        case .errors: return r.totals.errorRate
        case .queriesPerRequest:
            // From the backend's own counts (embedded demo only).
            guard let routes = r.backend?["routes"]?.array else { return nil }
            let queries = routes.compactMap { $0["dbQueries"]?.number }.reduce(0, +)
            let requests = routes.compactMap { $0["requests"]?.number }.reduce(0, +)
            return requests > 0 ? queries / requests : nil
        }
    }

    /// One measured second's figure, for the noise band (nil: no value that second).
    func perSecond(_ s: Report.Second) -> Double? {
        switch self {
        case .rate: return s.achievedRate
        case .p50: return s.achievedRate > 0 ? s.p50 : nil
        case .p95: return s.achievedRate > 0 ? s.p95 : nil
        case .p99: return s.achievedRate > 0 ? s.p99 : nil
        // Errors of the second over its responses (all of them, when none completed: transport errors only).
        case .errors: return s.achievedRate > 0 || s.errors > 0 ? Double(s.errors) / max(s.achievedRate, Double(s.errors)) : nil
        case .queriesPerRequest: return s.dbQueriesPerRequest
        }
    }

    /// A route's figure.
    func route(_ r: Report.Route) -> Double? {
        switch self {
        case .rate: return r.rate
        case .p50: return r.count > 0 ? r.latency.p50 : nil
        case .p95: return r.count > 0 ? r.latency.p95 : nil
        case .p99: return r.count > 0 ? r.latency.p99 : nil
        case .errors: return r.sent > 0 ? Double(r.errors) / Double(r.sent) : nil
        case .queriesPerRequest: return nil
        }
    }

    func format(_ v: Double?) -> String {
        guard let v else { return "-" }
        switch self {
        case .rate: return String(format: "%.1f/s", v)
        case .p50, .p95, .p99: return ms(v)
        case .errors: return String(format: "%.2f%%", v * 100)
        case .queriesPerRequest: return String(format: "%.2f", v)
        }
    }

    /// A change, signed: "+1.2 ms", "-30.0/s", "+0.40 pt" (errors in percentage points).
    func formatDelta(_ d: Double?) -> String {
        guard let d else { return "-" }
        let sign = d < 0 ? "-" : "+"
        switch self {
        case .rate: return sign + String(format: "%.1f/s", abs(d))
        case .p50, .p95, .p99: return sign + (abs(d) < 0.0005 ? "0 ms" : ms(abs(d)))
        case .errors: return sign + String(format: "%.2f pt", abs(d) * 100)
        case .queriesPerRequest: return sign + String(format: "%.2f", abs(d))
        }
    }
}

/// How much worse the candidate may be than the baseline before `dyno compare` calls it a regression.
/// Text form: `p95=+10%,p99=+15%,errors=+0.5%,rate=-10%,p50=+2ms`. Latency and rate limits in % are relative
/// to the baseline; latency may also be absolute (`+2ms`); `errors` is in percentage points of the error rate.
public struct RegressionThresholds: Sendable, Equatable {
    public enum Limit: Sendable, Equatable {
        /// A fraction of the baseline (0.1 = 10%).
        case relative(Double)
        /// In the metric's unit: ms for latency, a fraction for errors, per second for rate, a count for queries.
        case absolute(Double)
    }

    public var limits: [(metric: ComparisonMetric, limit: Limit)] = []

    public init() {}

    public static func == (a: Self, b: Self) -> Bool {
        a.limits.map(\.metric) == b.limits.map(\.metric) && a.limits.map(\.limit) == b.limits.map(\.limit)
    }

    /// Parses the text form; the error says which part is wrong and what was expected.
    public static func parse(_ text: String) throws(ThresholdSyntaxError) -> RegressionThresholds {
        var t = RegressionThresholds()
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            let names = ComparisonMetric.allCases.map(\.rawValue).joined(separator: ", ")
            guard kv.count == 2, let metric = ComparisonMetric(rawValue: kv[0]) else {
                throw ThresholdSyntaxError("\"\(part)\": expected METRIC=LIMIT with METRIC one of \(names)")
            }
            var value = kv[1]
            var sign: Double? = nil
            if value.hasPrefix("+") { sign = 1; value.removeFirst() } else if value.hasPrefix("-") { sign = -1; value.removeFirst() }
            let worse: Double = metric.higherIsBetter ? -1 : 1
            if let sign, sign != worse {
                throw ThresholdSyntaxError("\"\(part)\": a regression of \(metric.rawValue) is \(worse > 0 ? "a rise" : "a drop"); "
                                           + "write \(metric.rawValue)=\(worse > 0 ? "+" : "-")\(value)")
            }
            let limit: Limit
            if value.hasSuffix("%"), let n = Double(value.dropLast()), n >= 0, n.isFinite {
                limit = metric == .errors ? .absolute(n / 100) : .relative(n / 100)
            } else if [.p50, .p95, .p99].contains(metric), let seconds = parseLatencyLimit(value) {
                limit = .absolute(seconds * 1000)
            } else if metric == .queriesPerRequest, let n = Double(value), n >= 0 {
                limit = .absolute(n)
            } else {
                let what = [.p50, .p95, .p99].contains(metric) ? "a percentage like +10% or a duration like +2ms"
                                                                : "a percentage like \(worse > 0 ? "+" : "-")10%"
                throw ThresholdSyntaxError("\"\(part)\": expected \(what)")
            }
            t.limits.removeAll { $0.metric == metric }
            t.limits.append((metric, limit))
        }
        return t
    }

    static func parseLatencyLimit(_ text: String) -> Double? {
        for (suffix, scale) in [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1.0)] where text.hasSuffix(suffix) {
            if let n = Double(text.dropLast(suffix.count)), n >= 0, n.isFinite { return n * scale }
            return nil
        }
        return nil
    }

    /// The limit as written back ("+10%", "+0.50 pt", "+2 ms").
    static func describe(_ metric: ComparisonMetric, _ limit: Limit) -> String {
        let sign = metric.higherIsBetter ? "-" : "+"
        switch limit {
        case .relative(let f): return sign + String(format: "%g%%", f * 100)
        case .absolute(let v): return metric.formatDelta(metric.higherIsBetter ? -v : v)
        }
    }
}

public struct ThresholdSyntaxError: Error, Equatable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Two run reports side by side: per metric and per route, the baseline (A) and candidate (B) figures, the change,
/// a noise band and a verdict. Overall figures are the whole runs' (exact percentiles of each run); the noise band is
/// `NoiseBand`'s (2 standard errors of the difference of the per-second means, as the console's A/B mark), from the
/// reports' per-second `timeSeries`. A change inside the band is noise. A regression is a change in the bad direction
/// beyond a threshold AND outside the noise band. Routes have no per-second series: their rows carry no band.
public struct Comparison: Sendable, Equatable, Codable {
    public var schema = "dyno.comparison"
    public var schemaVersion = 1
    public var baseline: Side
    public var candidate: Side
    public var overall: [Row]
    public var routes: [RouteRows]
    /// Names of the metrics that regressed beyond their threshold.
    public var regressions: [String]
    public var passed: Bool { regressions.isEmpty }

    public struct Side: Sendable, Equatable, Codable {
        public var file: String
        public var profile: String
        public var target: String
        public var startedAt: String
        public var measuredSeconds: Double
        public var seconds: Int
    }

    public struct Row: Sendable, Equatable, Codable {
        public var metric: ComparisonMetric
        public var baseline: Double?
        public var candidate: Double?
        public var delta: Double?
        /// The change as a fraction of the baseline (nil when the baseline is 0 or missing).
        public var relativeDelta: Double?
        /// Half-width of the noise band (nil with too few seconds, and for routes).
        public var band: Double?
        public var verdict: NoiseBand.Verdict
        /// The threshold, as written back ("+10%"), and whether it was exceeded.
        public var threshold: String?
        public var regression: Bool?
    }

    public struct RouteRows: Sendable, Equatable, Codable {
        public var route: String
        public var rows: [Row]
    }

    public init(baseline a: Report, file fileA: String, candidate b: Report, file fileB: String,
                thresholds: RegressionThresholds = RegressionThresholds()) {
        baseline = Side(file: fileA, profile: a.profile.name, target: a.target, startedAt: a.startedAt,
                        measuredSeconds: a.measuredSeconds, seconds: a.timeSeries.count)
        candidate = Side(file: fileB, profile: b.profile.name, target: b.target, startedAt: b.startedAt,
                         measuredSeconds: b.measuredSeconds, seconds: b.timeSeries.count)
        let limits = Dictionary(thresholds.limits.map { ($0.metric, $0.limit) }, uniquingKeysWith: { _, b in b })
        overall = ComparisonMetric.allCases.compactMap { m in
            let va = m.overall(a), vb = m.overall(b)
            if m == .queriesPerRequest && va == nil && vb == nil { return nil }
            let noise = NoiseBand(baseline: a.timeSeries.compactMap(m.perSecond), current: b.timeSeries.compactMap(m.perSecond))
            return Self.row(m, va, vb, band: noise.band, limit: limits[m])
        }
        let routesB = Dictionary(b.routes.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        routes = a.routes.compactMap { ra in
            guard let rb = routesB[ra.name] else { return nil }
            return RouteRows(route: ra.name, rows: [ComparisonMetric.rate, .p50, .p95, .p99, .errors].map {
                Self.row($0, $0.route(ra), $0.route(rb), band: nil, limit: nil)
            })
        }
        regressions = overall.filter { $0.regression == true }.map(\.metric.rawValue)
    }

    static func row(_ m: ComparisonMetric, _ a: Double?, _ b: Double?, band: Double?, limit: RegressionThresholds.Limit?) -> Row {
        let delta = a.flatMap { a in b.map { $0 - a } }
        var row = Row(metric: m, baseline: a, candidate: b, delta: delta,
                      relativeDelta: a.flatMap { a in a != 0 ? delta.map { $0 / abs(a) } : nil }, band: band,
                      verdict: NoiseBand.verdict(baseline: a, current: b, band: band, higherIsBetter: m.higherIsBetter))
        if let limit {
            row.threshold = RegressionThresholds.describe(m, limit)
            if let a, let delta {
                let worse = m.higherIsBetter ? -delta : delta
                let allowed: Double
                switch limit {
                case .relative(let f): allowed = f * abs(a)
                case .absolute(let v): allowed = v
                }
                row.regression = worse > allowed + 1e-12 && row.verdict != .noise
            }
        }
        return row
    }
}
