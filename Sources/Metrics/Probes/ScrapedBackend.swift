/// Where an external target's backend figures came from: its Prometheus endpoint, and how the last scrape went.
public struct ScrapeStatus: Sendable, Equatable {
    /// The scraped URL (`--metrics`).
    public var url: String
    /// Why the newest scrape failed (nil: it worked); the figures are then the last good ones, if any.
    public var error: String? = nil
    /// The metric families Dyno recognized in the last good scrape, e.g. ["process_resident_memory_bytes"].
    public var recognized: [String] = []
    /// Good scrapes so far.
    public var scrapes: Int = 0

    public init(url: String) { self.url = url }

    /// Whether the target exposes Dyno's DB and stage figures (a Dyno backend), beyond requests and durations.
    public var hasBreakdown: Bool { recognized.contains(ScrapedBackend.breakdownFamilies) }
}

/// Turns Prometheus samples into the backend view Dyno's panels read: process RSS, and per route the requests and
/// their durations, under the names common exporters use (and Dyno's own `dyno_*`, so the demo backend is one
/// such target). Everything else of `BackendSnapshot` stays nil: a panel then says the target does not expose it.
public enum ScrapedBackend {
    /// Resident memory gauges, first found wins.
    public static let rssNames = ["process_resident_memory_bytes", "dyno_process_resident_memory_bytes"]
    /// Request counters by route (summed over their other labels, e.g. status).
    public static let requestCounters = ["dyno_http_requests_total", "http_requests_total", "http_server_requests_total",
                                         "http_server_requests_seconds_count"]
    /// Request duration histograms or summaries in seconds (`_sum`, `_count`, and `_bucket` when a histogram).
    public static let durationFamilies = ["dyno_http_request_duration_seconds", "http_request_duration_seconds",
                                          "http_server_request_duration_seconds", "http_server_requests_seconds",
                                          "http_request_duration_highr_seconds"]
    /// Labels that name a route, in order of preference.
    public static let routeLabels = ["route", "handler", "path", "endpoint", "uri", "view", "url"]
    /// Dyno's own per-route DB and stage families (only a Dyno backend has them).
    public static let breakdownFamilies = "dyno_db_*, dyno_stage_*"

    /// The backend view of one scrape (`status` is attached as is).
    public static func snapshot(_ samples: [PrometheusSample], status: ScrapeStatus) -> BackendSnapshot {
        var out = BackendSnapshot()
        var status = status
        var recognized: [String] = []
        if let rss = rssNames.lazy.compactMap({ name in samples.first(where: { $0.name == name && $0.labels.isEmpty }) }).first {
            out.rssBytes = rss.value.isFinite && rss.value >= 0 ? UInt64(rss.value) : nil
            recognized.append(rss.name)
        }
        var routes: [String: BackendRouteProbe] = [:]
        func probe(_ key: String) -> BackendRouteProbe { routes[key] ?? BackendRouteProbe(route: key) }

        let counter = requestCounters.first { name in samples.contains { $0.name == name } }
        if let counter {
            recognized.append(counter)
            for s in samples where s.name == counter {
                guard let key = routeKey(s.labels), s.value.isFinite, s.value >= 0 else { continue }
                var p = probe(key)
                p.requests += UInt64(s.value)
                routes[key] = p
            }
        }
        if let family = durationFamilies.first(where: { f in samples.contains { $0.name == f + "_count" } }) {
            recognized.append(family)
            var sums: [String: Double] = [:], counts: [String: Double] = [:]
            var buckets: [String: [Double: Double]] = [:]
            for s in samples {
                guard s.name.hasPrefix(family), let key = routeKey(s.labels), s.value.isFinite else { continue }
                switch s.name.dropFirst(family.count) {
                case "_sum": sums[key, default: 0] += s.value
                case "_count": counts[key, default: 0] += s.value
                case "_bucket":
                    if let le = s.labels["le"].flatMap({ PrometheusText.number($0[...]) }) { buckets[key, default: [:]][le, default: 0] += s.value }
                default: break
                }
            }
            for (key, count) in counts where count > 0 {
                var p = probe(key)
                if counter == nil { p.requests = UInt64(count) }
                let sum = sums[key] ?? 0
                var summary = LatencySummary(count: UInt64(count), mean: sum / count * 1e9)
                if let b = buckets[key] {
                    summary.p50 = quantile(0.5, b); summary.p90 = quantile(0.9, b)
                    summary.p95 = quantile(0.95, b); summary.p99 = quantile(0.99, b)
                }
                p.latency = summary
                routes[key] = p
            }
        }
        // Dyno's own DB and stage figures, when the target is a Dyno demo backend.
        for s in samples where s.name.hasPrefix("dyno_") {
            guard let key = s.labels["route"], s.value.isFinite, s.value >= 0 else { continue }
            switch s.name {
            case "dyno_db_queries_total":
                var p = probe(key); p.dbQueries = UInt64(s.value); routes[key] = p
            case "dyno_db_query_duration_seconds_sum":
                var p = probe(key); p.dbNanoseconds = UInt64(s.value * 1e9); routes[key] = p
            case "dyno_stage_seconds_total":
                guard let stage = s.labels["stage"] else { continue }
                var p = probe(key); p.stageNanoseconds[stage] = UInt64(s.value * 1e9); routes[key] = p
            default: break
            }
        }
        if samples.contains(where: { $0.name == "dyno_db_queries_total" }) { recognized.append(breakdownFamilies) }
        out.routes = routes.values.sorted { $0.route < $1.route }
        status.recognized = recognized
        out.scrape = status
        return out
    }

    /// "GET /articles/{slug}" from the route and method labels (a route label that already holds the method is
    /// kept as is); nil without a route label.
    static func routeKey(_ labels: [String: String]) -> String? {
        guard let route = routeLabels.lazy.compactMap({ labels[$0] }).first, !route.isEmpty else { return nil }
        if route.contains(" ") { return route }
        if let method = labels["method"], !method.isEmpty { return "\(method.uppercased()) \(route)" }
        return route
    }

    /// A quantile from cumulative histogram buckets (upper bound → count), interpolated linearly inside the
    /// bucket as Prometheus' histogram_quantile does; nanoseconds, 0 when empty.
    static func quantile(_ q: Double, _ buckets: [Double: Double]) -> UInt64 {
        let sorted = buckets.sorted { $0.key < $1.key }
        guard let total = sorted.last?.value, total > 0 else { return 0 }
        let rank = q * total
        var lower = 0.0, below = 0.0
        for (bound, cumulative) in sorted {
            if cumulative >= rank {
                if !bound.isFinite { return UInt64(lower * 1e9) }   // beyond the last finite bound: its value
                let inBucket = cumulative - below
                let fraction = inBucket > 0 ? (rank - below) / inBucket : 1
                return UInt64((lower + (bound - lower) * fraction) * 1e9)
            }
            lower = bound.isFinite ? bound : lower
            below = cumulative
        }
        return UInt64(lower * 1e9)
    }
}
