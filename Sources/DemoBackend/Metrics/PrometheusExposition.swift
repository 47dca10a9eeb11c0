import Metrics

/// Renders `BackendMetrics` in the Prometheus text exposition format (version 0.0.4), names prefixed `dyno_`.
///
/// Runs on the scrape, not on the request path, so it may allocate freely.
enum PrometheusExposition {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Bucket upper bounds in seconds: 100 µs to 10 s, roughly ×2.5 steps (a scraper wants few, fixed buckets).
    static let bucketBounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    static func render(_ metrics: BackendMetrics, extra: (inout String) -> Void = { _ in }) -> [UInt8] {
        var out = ""
        out.reserveCapacity(16 * 1024)
        let active = metrics.routes.filter { $0.requests > 0 || $0.dbQueries.value > 0 }

        out += "# HELP dyno_http_requests_total HTTP requests answered, by route template and status.\n"
        out += "# TYPE dyno_http_requests_total counter\n"
        for r in active {
            for (status, n) in r.statusTotals {
                out += "dyno_http_requests_total{route=\"\(escape(r.template))\",status=\"\(status)\"} \(n)\n"
            }
        }

        out += "# HELP dyno_http_request_duration_seconds Time from request received to response handed to the server.\n"
        out += "# TYPE dyno_http_request_duration_seconds histogram\n"
        for r in active where r.requests > 0 {
            histogram(&out, name: "dyno_http_request_duration_seconds", route: r.template, r.duration)
        }

        out += "# HELP dyno_db_queries_total SQL statements executed (BEGIN/COMMIT included), by route template.\n"
        out += "# TYPE dyno_db_queries_total counter\n"
        for r in active {
            out += "dyno_db_queries_total{route=\"\(escape(r.template))\"} \(r.dbQueries.value)\n"
        }

        out += "# HELP dyno_db_query_duration_seconds Execution time of each SQL statement, by route template.\n"
        out += "# TYPE dyno_db_query_duration_seconds histogram\n"
        for r in active where r.dbQueries.value > 0 {
            histogram(&out, name: "dyno_db_query_duration_seconds", route: r.template, r.dbDuration)
        }

        out += "# HELP dyno_stage_seconds_total Time spent per request stage inside the backend, by route template.\n"
        out += "# TYPE dyno_stage_seconds_total counter\n"
        for r in active where r.requests > 0 {
            for stage in Stage.allCases {
                let seconds = Double(r.stageNanoseconds(stage)) / 1e9
                out += "dyno_stage_seconds_total{route=\"\(escape(r.template))\",stage=\"\(stage.name)\"} \(seconds)\n"
            }
        }
        extra(&out)
        return Array(out.utf8)
    }

    /// Cumulative buckets from the log-linear histogram: each recorded bucket (3 significant digits) is counted
    /// under the first bound ≥ its lower edge, so a bucket straddling a bound is attributed to that bound.
    private static func histogram(_ out: inout String, name: String, route: String, _ h: AtomicLatencyHistogram) {
        let snapshot = h.snapshot()
        var perBound = [UInt64](repeating: 0, count: bucketBounds.count)
        var total: UInt64 = 0
        snapshot.forEachBucket { low, _, count in
            total += count
            let seconds = Double(low) / 1e9
            if let i = bucketBounds.firstIndex(where: { seconds <= $0 }) { perBound[i] += count }
        }
        let label = escape(route)
        var cumulative: UInt64 = 0
        for (i, bound) in bucketBounds.enumerated() {
            cumulative += perBound[i]
            out += "\(name)_bucket{route=\"\(label)\",le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{route=\"\(label)\",le=\"+Inf\"} \(total)\n"
        out += "\(name)_sum{route=\"\(label)\"} \(Double(h.sumNanoseconds) / 1e9)\n"
        out += "\(name)_count{route=\"\(label)\"} \(total)\n"
    }

    /// Label values escape `\`, `"` and newline.
    static func escape(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var s = ""
        for ch in value {
            switch ch {
            case "\\": s += "\\\\"
            case "\"": s += "\\\""
            case "\n": s += "\\n"
            default: s.append(ch)
            }
        }
        return s
    }
}
