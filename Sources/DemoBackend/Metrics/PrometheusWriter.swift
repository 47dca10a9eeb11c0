import Metrics

/// The one writer of `/metrics` lines (Prometheus text exposition format 0.0.4). Every family gets its `# HELP` and
/// `# TYPE` lines once, in the order first written; label values are escaped here, so callers pass plain strings.
///
/// Runs on the scrape, never on the request path, so it may allocate freely.
struct PrometheusWriter {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    enum MetricType: String { case counter, gauge, summary, histogram }

    private(set) var text = ""
    private var declared: Set<String> = []

    init(capacity: Int = 16 * 1024) { text.reserveCapacity(capacity) }

    var bytes: [UInt8] { Array(text.utf8) }

    /// Declares a family (HELP and TYPE) once; later calls with the same name do nothing. Call it before writing
    /// a family with no samples (e.g. a gauge that is only present while something runs) so scrapers see the family.
    mutating func declare(_ name: String, _ type: MetricType, help: String) {
        guard declared.insert(name).inserted else { return }
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// One sample line, `name{labels} value`. The family must have been declared (directly or by the helpers below).
    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String> = [:], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{"
            var first = true
            for (k, v) in labels {
                if !first { text += "," }
                first = false
                text += k + "=\"" + Self.escape(v) + "\""
            }
            text += "}"
        }
        text += " " + Self.format(value) + "\n"
    }

    mutating func counter(_ name: String, help: String, _ value: UInt64, labels: KeyValuePairs<String, String> = [:]) {
        declare(name, .counter, help: help)
        sample(name, labels, Double(value))
    }

    mutating func gauge(_ name: String, help: String, _ value: Double, labels: KeyValuePairs<String, String> = [:]) {
        declare(name, .gauge, help: help)
        sample(name, labels, value)
    }

    mutating func gauge(_ name: String, help: String, _ value: Int, labels: KeyValuePairs<String, String> = [:]) {
        gauge(name, help: help, Double(value), labels: labels)
    }

    /// A summary from a latency summary: quantiles 0.5, 0.9 and 0.99 in seconds, plus `_sum` and `_count`.
    mutating func summary(_ name: String, help: String, _ s: LatencySummary) {
        declare(name, .summary, help: help)
        for (q, v) in [("0.5", s.p50), ("0.9", s.p90), ("0.99", s.p99)] {
            sample(name, ["quantile": q], Double(v) / 1e9)
        }
        sample(name + "_sum", [:], s.mean * Double(s.count) / 1e9)
        sample(name + "_count", [:], Double(s.count))
    }

    /// Bucket upper bounds in seconds: 100 µs to 10 s, roughly ×2.5 steps (a scraper wants few, fixed buckets).
    static let bucketBounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// A histogram in seconds from the log-linear latency histogram: each recorded bucket (3 significant digits) is
    /// counted under the first bound ≥ its lower edge, so a bucket straddling a bound is attributed to that bound.
    mutating func histogram(_ name: String, help: String, label: (String, String), _ h: AtomicLatencyHistogram) {
        declare(name, .histogram, help: help)
        let snapshot = h.snapshot()
        var perBound = [UInt64](repeating: 0, count: Self.bucketBounds.count)
        var total: UInt64 = 0
        snapshot.forEachBucket { low, _, count in
            total += count
            let seconds = Double(low) / 1e9
            if let i = Self.bucketBounds.firstIndex(where: { seconds <= $0 }) { perBound[i] += count }
        }
        var cumulative: UInt64 = 0
        for (i, bound) in Self.bucketBounds.enumerated() {
            cumulative += perBound[i]
            sample(name + "_bucket", [label.0: label.1, "le": "\(bound)"], Double(cumulative))
        }
        sample(name + "_bucket", [label.0: label.1, "le": "+Inf"], Double(total))
        sample(name + "_sum", [label.0: label.1], Double(h.sumNanoseconds) / 1e9)
        sample(name + "_count", [label.0: label.1], Double(total))
    }

    /// Integral values without a fraction ("12", not "12.0"); others as Swift prints them (shortest round-trip).
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Label values escape `\\`, `"` and newline.
    static func escape(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}
