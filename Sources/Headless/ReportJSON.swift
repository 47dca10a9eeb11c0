import Engine
import Foundation
import Metrics

/// report.json from a run: `Report` (Reports/Report.swift, the schema) filled from a `RunResult`.
/// Latencies are in milliseconds (floating point), rates per second, times in seconds since the run started.
public enum ReportJSON {
    public static let schemaVersion = Report.currentSchemaVersion

    public static func report(_ r: RunResult) -> Report {
        let load = r.final.load
        let histograms = Dictionary(r.routeHistograms.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return Report(
            profile: .init(name: r.profile.name, source: r.profile.source, description: r.profile.description,
                           thresholds: limits(r.profile.thresholds)),
            target: r.targetDescription,
            startedAt: r.startedAt,
            warmupSeconds: r.warmupSeconds,
            measuredSeconds: r.measuredSeconds,
            model: model(load.model),
            totals: .init(sent: load.total.sent, completed: load.total.completed, errors: load.total.errors,
                          errorRate: load.total.errorRate, achievedRate: r.achievedRate,
                          bytesReceived: load.total.bytesReceived,
                          latency: summary(load.latencyTotal.summary), serviceTime: summary(load.serviceTotal.summary),
                          latencyHistogram: .init(load.latencyTotal.buckets),
                          serviceTimeHistogram: .init(load.serviceTotal.buckets),
                          unexpectedErrors: load.total.unexpectedErrors,
                          unexpectedErrorRate: load.total.unexpectedErrorRate,
                          bytesDecoded: load.total.bytesDecoded),
            status: statuses(load.total.statusCounts),
            transportErrors: Dictionary(uniqueKeysWithValues: load.total.transportErrors.map { ($0.key.rawValue, $0.value) }),
            routes: r.final.routes.map { route in
                Report.Route(
                    name: route.name, count: route.total.completed, sent: route.total.sent, errors: route.total.errors,
                    rate: r.measuredSeconds > 0 ? Double(route.total.completed) / r.measuredSeconds : 0,
                    status: statuses(route.total.statusCounts),
                    latency: summary(route.latencyTotal), serviceTime: summary(route.serviceTotal),
                    latencyHistogram: histograms[route.name].map { .init($0.latency.buckets) },
                    serviceTimeHistogram: histograms[route.name].map { .init($0.service.buckets) },
                    unexpectedErrors: route.total.unexpectedErrors)
            },
            generator: Report.Generator(load.generator),
            knobs: r.knobValues,
            events: r.events.map { .init(at: $0.atSeconds, kind: $0.kind, detail: $0.detail, source: $0.source) },
            timeSeries: r.samples.map(sample),
            thresholds: r.thresholds.map { .init(name: $0.name, limit: $0.limit, actual: $0.actual, passed: $0.passed) },
            passed: r.passed,
            backend: r.final.backend.flatMap { backend in
                // The backend's layout follows its probes (BackendJSON); carried through as plain JSON.
                (try? JSONSerialization.data(withJSONObject: BackendJSON.document(backend)))
                    .flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) }
            })
    }

    public static func data(_ r: RunResult) throws -> Data { try report(r).jsonData() }

    static func ms(_ ns: UInt64) -> Double { (Double(ns) / 1e3).rounded() / 1e3 }

    static func summary(_ s: LatencySummary) -> Report.Latency {
        .init(count: s.count, min: ms(s.min), mean: (s.mean / 1e3).rounded() / 1e3, p50: ms(s.p50), p90: ms(s.p90),
              p95: ms(s.p95), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max))
    }

    static func statuses(_ counts: [Int: UInt64]) -> [String: UInt64] {
        Dictionary(uniqueKeysWithValues: counts.map { (String($0.key), $0.value) })
    }

    static func limits(_ t: Thresholds) -> Report.ThresholdLimits? {
        t.isEmpty ? nil : .init(p50: t.p50Seconds, p95: t.p95Seconds, p99: t.p99Seconds, max: t.maxSeconds,
                                errorRate: t.maxErrorRate, minRate: t.minRate)
    }

    static func model(_ m: LoadModel) -> Report.Model {
        switch m {
        case .open(let rate): return .init(type: "open", rate: rate)
        case .closed(let users, let think): return .init(type: "closed", users: users, thinkTimeSeconds: think)
        }
    }

    /// One row of "timeSeries": the second that ends at `t` (seconds since the run started), binned by
    /// `SecondFold`'s rule like the console's charts. Backend fields appear when the backend has that probe.
    static func sample(_ s: SecondSample) -> Report.Second {
        .init(t: Double(s.second + 1), offeredRate: s.offered, achievedRate: s.rate, errors: s.errors, inFlight: s.inFlight,
              p50: ms(s.latency.p50), p90: ms(s.latency.p90), p95: ms(s.latency.p95), p99: ms(s.latency.p99),
              max: ms(s.latency.max), serviceP99: ms(s.service.p99),
              cacheHitRate: s.backend?.cacheHitRate, poolInUse: s.backend?.poolInUse, rssBytes: s.backend?.rssBytes,
              dbQueriesPerRequest: s.backend?.queriesPerRequest, unexpectedErrors: s.unexpectedErrors,
              rssAnonBytes: s.backend?.rssAnonBytes, rssFileBytes: s.backend?.rssFileBytes,
              heapInUseBytes: s.backend?.heapInUseBytes)
    }
}

/// The backend's own view in reports.
enum BackendJSON {
    static func summary(_ s: LatencySummary) -> [String: Any] {
        let l = ReportJSON.summary(s)
        return ["count": l.count, "min": l.min, "mean": l.mean, "p50": l.p50, "p90": l.p90, "p95": l.p95, "p99": l.p99,
                "p999": l.p999, "max": l.max, "unit": l.unit]
    }

    /// `backend.memory`: the process's memory at the end by kind, the leak detector's reading over anonymous RSS
    /// (`anon`, whose `verdict` is THE leak verdict) and over the heap, the rule's numbers, and the memo.
    static func memory(_ m: MemoryProbe) -> [String: Any] {
        func trend(_ a: LeakAssessment) -> [String: Any] {
            ["verdict": a.verdict.rawValue, "slopeBytesPerSecond": a.slopeBytesPerSecond, "fit": a.fit,
             "samples": a.samples, "spanSeconds": a.spanSeconds]
        }
        let r = m.rule
        return ["mode": m.mode.rawValue, "rssAnonBytes": m.rssAnonBytes, "rssFileBytes": m.rssFileBytes,
                "heapInUseBytes": m.heapInUseBytes, "heapFreeBytes": m.heapFreeBytes,
                "verdict": m.anon.verdict.rawValue, "anon": trend(m.anon), "heap": trend(m.heap),
                "rule": ["warmUpSeconds": r.warmUpSeconds, "windowSamples": r.windowSamples, "minimumSamples": r.minimumSamples,
                         "minimumSpanSeconds": r.minimumSpanSeconds,
                         "growthThresholdBytesPerSecond": r.growthThresholdBytesPerSecond, "minimumFit": r.minimumFit] as [String: Any],
                "memo": ["entries": m.memoEntries, "bytes": m.memoBytes, "hits": m.memoHits, "misses": m.memoMisses,
                         "evictions": m.memoEvictions] as [String: Any]]
    }

    static func document(_ b: BackendSnapshot) -> [String: Any] {
        var d: [String: Any] = [:]
        if let rss = b.rssBytes { d["rssBytes"] = rss }
        if let m = b.memory, m.rssAnonBytes > 0 { d["memory"] = memory(m) }
        if let c = b.cache {
            d["cache"] = ["enabled": c.enabled, "hits": c.hits, "misses": c.misses, "hitRate": c.hitRate, "evictions": c.evictions,
                          "entries": c.entries, "bytes": c.bytes, "dbQueriesSaved": c.dbQueriesSaved] as [String: Any]
        }
        if let p = b.pool {
            d["pool"] = ["mode": p.mode.rawValue, "size": p.size, "inUse": p.inUse, "idle": p.idle, "waiters": p.waiters,
                         "acquires": p.acquires, "timeouts": p.timeouts, "acquireTime": summary(p.acquireTime)] as [String: Any]
        }
        if let s = b.serving {
            var serving: [String: Any] = ["model": s.model.rawValue, "busyRatio": s.busyRatio, "workerQueueLength": s.workerQueueLength]
            if let waiting = s.connectionsWaiting { serving["connectionsWaiting"] = waiting }
            if let backlog = s.acceptQueue { serving["acceptQueue"] = backlog }
            d["serving"] = serving
        }
        if let j = b.jobs {
            d["jobs"] = ["mode": j.mode.rawValue, "queueDepth": j.queueDepth, "running": j.running, "workers": j.workers,
                         "completed": j.completed, "failed": j.failed, "retried": j.retried, "dead": j.dead,
                         "latency": summary(j.latency)] as [String: Any]
        }
        if let dep = b.dependency {
            d["dependency"] = ["io": dep.io.rawValue, "fault": dep.fault.rawValue, "inFlight": dep.inFlight,
                               "threadsBlocked": dep.threadsBlocked, "heldByDependency": dep.heldByDependency,
                               "calls": dep.calls, "failures": dep.failures] as [String: Any]
        }
        if !b.breakers.isEmpty {
            d["breakers"] = b.breakers.map { br -> [String: Any] in
                ["dependency": br.dependency, "state": br.state.rawValue, "failureRate": br.failureRate,
                 "slowCallRate": br.slowCallRate, "calls": br.calls, "failures": br.failures, "rejected": br.rejected,
                 "rejectedBulkhead": br.rejectedBulkhead, "timeouts": br.timeouts, "inFlight": br.inFlight,
                 "secondsClosed": br.secondsClosed, "secondsOpen": br.secondsOpen, "secondsHalfOpen": br.secondsHalfOpen,
                 "transitions": br.transitions.count]
            }
        }
        if let e = b.encoding {
            d["encoding"] = ["mode": e.mode.rawValue, "responses": e.responses, "responseBytes": e.responseBytes,
                             "encodeMilliseconds": Double(e.encodeNanoseconds) / 1e6] as [String: Any]
        }
        if let c = b.compression {
            d["compression"] = ["mode": c.mode.rawValue, "level": c.level, "thresholdBytes": c.thresholdBytes,
                                "compressedResponses": c.compressedResponses, "bytesIn": c.bytesIn, "bytesOut": c.bytesOut,
                                "ratio": c.ratio, "milliseconds": Double(c.compressionNanoseconds) / 1e6,
                                "uncompressedForClient": c.uncompressedForClient] as [String: Any]
        }
        if let pg = b.paging {
            d["paging"] = ["mode": pg.mode.rawValue, "limitCap": pg.limitCap, "requests": pg.requests,
                           "rowsMaterialized": pg.rowsMaterialized, "peakRowsPerRequest": pg.peakRowsPerRequest,
                           "peakResponseBytes": pg.peakResponseBytes, "streamedExports": pg.streamedExports,
                           "wholeExports": pg.wholeExports] as [String: Any]
        }
        d["routes"] = b.routes.map { r -> [String: Any] in
            ["route": r.route, "requests": r.requests, "dbQueries": r.dbQueries, "dbQueriesPerRequest": r.queriesPerRequest,
             "dbMilliseconds": Double(r.dbNanoseconds) / 1e6, "latency": summary(r.latency),
             "stageMilliseconds": r.stageNanoseconds.mapValues { Double($0) / 1e6 }]
        }
        return d
    }
}
