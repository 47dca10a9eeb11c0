import Engine
import Foundation
import Metrics

/// report.json: the complete, versioned record of a run. Bump `schemaVersion` on any incompatible change.
/// Latencies are in milliseconds (floating point), rates per second, times in seconds since the run started.
public enum ReportJSON {
    public static let schemaVersion = 1

    public static func document(_ r: RunResult) -> [String: Any] {
        let load = r.final.load
        var doc: [String: Any] = [
            "schema": "dyno.report",
            "schemaVersion": schemaVersion,
            "profile": ["name": r.profile.name, "source": r.profile.source, "description": r.profile.description],
            "target": r.targetDescription,
            "startedAt": r.startedAt,
            "warmupSeconds": r.warmupSeconds,
            "measuredSeconds": r.measuredSeconds,
            "model": model(load.model),
            "totals": [
                "sent": load.total.sent,
                "completed": load.total.completed,
                "errors": load.total.errors,
                "errorRate": load.total.errorRate,
                "achievedRate": r.achievedRate,
                "bytesReceived": load.total.bytesReceived,
                "latency": summary(load.latencyTotal.summary),
                "serviceTime": summary(load.serviceTotal.summary),
            ] as [String: Any],
            "status": Dictionary(uniqueKeysWithValues: load.total.statusCounts.map { (String($0.key), $0.value) }),
            "transportErrors": Dictionary(uniqueKeysWithValues: load.total.transportErrors.map { ($0.key.rawValue, $0.value) }),
            "routes": r.final.routes.map { route -> [String: Any] in
                [
                    "name": route.name,
                    "count": route.total.completed,
                    "sent": route.total.sent,
                    "errors": route.total.errors,
                    "rate": r.measuredSeconds > 0 ? Double(route.total.completed) / r.measuredSeconds : 0,
                    "status": Dictionary(uniqueKeysWithValues: route.total.statusCounts.map { (String($0.key), $0.value) }),
                    "latency": summary(route.latencyTotal),
                    "serviceTime": summary(route.serviceTotal),
                ]
            },
            "generator": [
                "behindSchedule": load.generator.behindSchedule,
                "lagSeconds": load.generator.lagSeconds,
                "limitedBy": load.generator.limitedBy as Any? ?? NSNull(),
            ] as [String: Any],
            "knobs": r.knobValues,
            "events": r.events.map { ["at": $0.atSeconds, "kind": $0.kind, "detail": $0.detail, "source": $0.source] },
            "timeSeries": r.samples.map(sample),
            "thresholds": r.thresholds.map { ["name": $0.name, "limit": $0.limit, "actual": $0.actual, "passed": $0.passed] },
            "passed": r.passed,
        ]
        if let backend = r.final.backend { doc["backend"] = BackendJSON.document(backend) }
        return doc
    }

    public static func data(_ r: RunResult) throws -> Data {
        try JSONSerialization.data(withJSONObject: document(r), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    static func ms(_ ns: UInt64) -> Double { (Double(ns) / 1e3).rounded() / 1e3 }

    static func summary(_ s: LatencySummary) -> [String: Any] {
        ["count": s.count, "min": ms(s.min), "mean": (s.mean / 1e3).rounded() / 1e3, "p50": ms(s.p50), "p90": ms(s.p90),
         "p95": ms(s.p95), "p99": ms(s.p99), "p999": ms(s.p999), "max": ms(s.max), "unit": "ms"]
    }

    static func model(_ m: LoadModel) -> [String: Any] {
        switch m {
        case .open(let rate): return ["type": "open", "rate": rate]
        case .closed(let users, let think): return ["type": "closed", "users": users, "thinkTimeSeconds": think]
        }
    }

    /// One row of "timeSeries": the second that ends at `t` (seconds since the run started), binned by
    /// `SecondFold`'s rule like the console's charts. Backend fields appear when the backend has that probe.
    static func sample(_ s: SecondSample) -> [String: Any] {
        var row: [String: Any] = [
            "t": Double(s.second + 1), "offeredRate": s.offered, "achievedRate": s.rate, "errors": s.errors,
            "inFlight": s.inFlight, "p50": ms(s.latency.p50), "p90": ms(s.latency.p90), "p99": ms(s.latency.p99),
            "max": ms(s.latency.max), "serviceP99": ms(s.service.p99),
        ]
        if let v = s.backend?.cacheHitRate { row["cacheHitRate"] = v }
        if let v = s.backend?.poolInUse { row["poolInUse"] = v }
        if let v = s.backend?.rssBytes { row["rssBytes"] = v }
        if let v = s.backend?.queriesPerRequest { row["dbQueriesPerRequest"] = v }
        return row
    }
}

/// The backend's own view in reports.
enum BackendJSON {
    static func document(_ b: BackendSnapshot) -> [String: Any] {
        var d: [String: Any] = [:]
        if let rss = b.rssBytes { d["rssBytes"] = rss }
        if let c = b.cache {
            d["cache"] = ["enabled": c.enabled, "hits": c.hits, "misses": c.misses, "hitRate": c.hitRate, "evictions": c.evictions,
                          "entries": c.entries, "bytes": c.bytes, "dbQueriesSaved": c.dbQueriesSaved] as [String: Any]
        }
        if let p = b.pool {
            d["pool"] = ["mode": p.mode.rawValue, "size": p.size, "inUse": p.inUse, "idle": p.idle, "waiters": p.waiters,
                         "acquires": p.acquires, "timeouts": p.timeouts, "acquireTime": ReportJSON.summary(p.acquireTime)] as [String: Any]
        }
        if let s = b.serving {
            d["serving"] = ["model": s.model.rawValue, "busyRatio": s.busyRatio, "workerQueueLength": s.workerQueueLength] as [String: Any]
        }
        d["routes"] = b.routes.map { r -> [String: Any] in
            ["route": r.route, "requests": r.requests, "dbQueries": r.dbQueries, "dbQueriesPerRequest": r.queriesPerRequest,
             "dbMilliseconds": Double(r.dbNanoseconds) / 1e6, "latency": ReportJSON.summary(r.latency),
             "stageMilliseconds": r.stageNanoseconds.mapValues { Double($0) / 1e6 }]
        }
        return d
    }
}
