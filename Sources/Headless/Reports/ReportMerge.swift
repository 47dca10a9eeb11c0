import Engine
import Foundation
import Metrics

/// `dyno merge`: one report from the reports of several load machines that ran the same load at the same time
/// against the same target. Counts add up; latency comes from the union of the histograms, so every percentile
/// of the merged report is exact (not an average of percentiles). The per-second rows add rates, errors and
/// in-flight requests of the same second; their percentiles are the worst machine's (an upper bound: the
/// per-second histograms are not in the reports). Thresholds are judged again on the merged figures.
public enum ReportMerge {
    /// Merges `reports` (with the paths they came from, for errors and `mergedFrom`). Throws naming the file and
    /// field when a report cannot be merged (no histograms: schema version 1).
    public static func merge(_ reports: [(path: String, report: Report)]) throws(ReportFileError) -> Report {
        guard let first = reports.first?.report else {
            throw ReportFileError(file: "", field: "", message: "nothing to merge")
        }
        var totalLatency = LatencyHistogram(), totalService = LatencyHistogram()
        var counts = LoadCounts()
        var routeOrder: [String] = []
        var routes: [String: (counts: LoadCounts, latency: LatencyHistogram, service: LatencyHistogram)] = [:]
        for (path, r) in reports {
            func histogram(_ h: Report.Histogram?, _ field: String) throws(ReportFileError) -> LatencyHistogram {
                guard let h else {
                    throw ReportFileError(file: path, field: field, message: "missing: merging needs the latency histograms "
                                          + "(schema version 2, from this dyno's run)")
                }
                return h.histogram
            }
            totalLatency.merge(try histogram(r.totals.latencyHistogram, "totals.latencyHistogram"))
            totalService.merge(try histogram(r.totals.serviceTimeHistogram, "totals.serviceTimeHistogram"))
            counts.add(loadCounts(sent: r.totals.sent, completed: r.totals.completed, errors: r.totals.errors,
                                  unexpected: r.totals.unexpectedErrors, bytes: r.totals.bytesReceived, status: r.status,
                                  transport: r.transportErrors))
            counts.bytesDecoded += r.totals.bytesDecoded ?? 0
            for (i, route) in r.routes.enumerated() {
                let latency = try histogram(route.latencyHistogram, "routes[\(i)].latencyHistogram")
                let service = try histogram(route.serviceTimeHistogram, "routes[\(i)].serviceTimeHistogram")
                if routes[route.name] == nil {
                    routeOrder.append(route.name)
                    routes[route.name] = (LoadCounts(), LatencyHistogram(), LatencyHistogram())
                }
                routes[route.name]!.counts.add(loadCounts(sent: route.sent, completed: route.count, errors: route.errors,
                                                          unexpected: route.unexpectedErrors, bytes: 0, status: route.status,
                                                          transport: [:]))
                routes[route.name]!.latency.merge(latency)
                routes[route.name]!.service.merge(service)
            }
        }
        // The machines ran side by side: the merged run lasted as long as the longest of them.
        let measured = reports.map(\.report.measuredSeconds).max() ?? 0
        let achieved = measured > 0 ? Double(counts.completed) / measured : 0
        var load = LoadSnapshot()
        load.total = counts
        load.latencyTotal = totalLatency
        load.serviceTotal = totalService
        let thresholds = first.profile.thresholds.map { evaluateThresholds(limits($0), load: load, achievedRate: achieved) } ?? []
        let all = reports.map(\.report)
        // Reports written before expected statuses existed carry no unexpected-error counts: say nothing then.
        let tracksUnexpected = all.contains { $0.totals.unexpectedErrors != nil }
        let targets = all.map(\.target).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }

        return Report(
            profile: first.profile,
            target: targets.joined(separator: " + "),
            startedAt: all.map(\.startedAt).min() ?? first.startedAt,
            warmupSeconds: all.map(\.warmupSeconds).max() ?? 0,
            measuredSeconds: measured,
            model: model(all.map(\.model)),
            totals: .init(sent: counts.sent, completed: counts.completed, errors: counts.errors, errorRate: counts.errorRate,
                          achievedRate: achieved, bytesReceived: counts.bytesReceived,
                          latency: ReportJSON.summary(totalLatency.summary), serviceTime: ReportJSON.summary(totalService.summary),
                          latencyHistogram: .init(totalLatency.buckets), serviceTimeHistogram: .init(totalService.buckets),
                          unexpectedErrors: tracksUnexpected ? counts.unexpectedErrors : nil,
                          unexpectedErrorRate: tracksUnexpected ? counts.unexpectedErrorRate : nil,
                          bytesDecoded: all.contains { $0.totals.bytesDecoded != nil } ? counts.bytesDecoded : nil),
            status: ReportJSON.statuses(counts.statusCounts),
            transportErrors: Dictionary(uniqueKeysWithValues: counts.transportErrors.map { ($0.key.rawValue, $0.value) }),
            routes: routeOrder.map { name in
                let r = routes[name]!
                return Report.Route(
                    name: name, count: r.counts.completed, sent: r.counts.sent, errors: r.counts.errors,
                    rate: measured > 0 ? Double(r.counts.completed) / measured : 0,
                    status: ReportJSON.statuses(r.counts.statusCounts),
                    latency: ReportJSON.summary(r.latency.summary), serviceTime: ReportJSON.summary(r.service.summary),
                    latencyHistogram: .init(r.latency.buckets), serviceTimeHistogram: .init(r.service.buckets),
                    unexpectedErrors: tracksUnexpected ? r.counts.unexpectedErrors : nil)
            },
            generator: .init(behindSchedule: all.contains { $0.generator.behindSchedule },
                             lagSeconds: all.map(\.generator.lagSeconds).max() ?? 0,
                             limitedBy: all.compactMap(\.generator.limitedBy).first,
                             serverSaturated: mergedSaturation(all.compactMap(\.generator.serverSaturated))),
            knobs: first.knobs,
            events: all.flatMap(\.events).sorted { $0.at < $1.at },
            timeSeries: seconds(all.map(\.timeSeries)),
            thresholds: thresholds.map { .init(name: $0.name, limit: $0.limit, actual: $0.actual, passed: $0.passed) },
            passed: thresholds.allSatisfy(\.passed),
            backend: nil,
            mergedFrom: reports.map(\.path))
    }

    static func loadCounts(sent: UInt64, completed: UInt64, errors: UInt64, unexpected: UInt64?, bytes: UInt64,
                           status: [String: UInt64], transport: [String: UInt64]) -> LoadCounts {
        var c = LoadCounts()
        c.sent = sent
        c.completed = completed
        c.errors = errors
        c.unexpectedErrors = unexpected ?? 0
        c.bytesReceived = bytes
        for (code, n) in status { if let code = Int(code) { c.statusCounts[code, default: 0] += n } }
        for (kind, n) in transport { if let kind = TransportErrorKind(rawValue: kind) { c.transportErrors[kind, default: 0] += n } }
        return c
    }

    static func limits(_ t: Report.ThresholdLimits) -> Thresholds {
        var l = Thresholds()
        l.p50Seconds = t.p50; l.p95Seconds = t.p95; l.p99Seconds = t.p99; l.maxSeconds = t.max
        l.maxErrorRate = t.errorRate; l.minRate = t.minRate
        return l
    }

    /// Open models add their rates, closed models their users; a mix of both is reported as the first's type.
    static func model(_ models: [Report.Model]) -> Report.Model {
        var m = models[0]
        if models.allSatisfy({ $0.type == "open" }) { m.rate = models.reduce(0) { $0 + ($1.rate ?? 0) } }
        if models.allSatisfy({ $0.type == "closed" }) { m.users = models.reduce(0) { $0 + ($1.users ?? 0) } }
        return m
    }

    /// Rows of the same second (by `t`) added up; percentiles the worst machine's; backend figures left out.
    static func seconds(_ series: [[Report.Second]]) -> [Report.Second] {
        var byT: [Double: Report.Second] = [:]
        for rows in series {
            for row in rows {
                let key = row.t.rounded()
                guard var m = byT[key] else {
                    var r = row
                    r.t = key
                    r.cacheHitRate = nil; r.poolInUse = nil; r.rssBytes = nil; r.dbQueriesPerRequest = nil
                    byT[key] = r
                    continue
                }
                m.offeredRate += row.offeredRate
                m.achievedRate += row.achievedRate
                m.errors += row.errors
                if let u = row.unexpectedErrors { m.unexpectedErrors = (m.unexpectedErrors ?? 0) + u }
                m.inFlight += row.inFlight
                m.p50 = max(m.p50, row.p50)
                m.p90 = max(m.p90, row.p90)
                m.p95 = max(m.p95 ?? 0, row.p95 ?? 0)
                m.p99 = max(m.p99, row.p99)
                m.max = max(m.max, row.max)
                m.serviceP99 = max(m.serviceP99, row.serviceP99)
                byT[key] = m
            }
        }
        return byT.keys.sorted().map { byT[$0]! }
    }
}

extension ReportMerge {
    /// `dyno merge A.json B.json … --out C.json`: exit 0 written, 2 bad input (the file and field named).
    public static func command(paths: [String], out: String) -> Int32 {
        guard paths.count >= 2 else {
            writeError("dyno merge: give at least two report files")
            return 2
        }
        do {
            var reports: [(path: String, report: Report)] = []
            for path in paths { reports.append((path, try Report.read(path: path))) }
            let merged = try merge(reports)
            let data: Data
            do { data = try merged.jsonData() } catch {
                writeError("dyno merge: \(error)")
                return 2
            }
            guard FileManager.default.createFile(atPath: out, contents: data) else {
                writeError("dyno merge: cannot write \(out)")
                return 2
            }
            print("merged \(paths.count) reports: \(merged.totals.completed) responses, "
                  + "p50 \(ms(merged.totals.latency.p50)), p99 \(ms(merged.totals.latency.p99)) → \(out)")
            return 0
        } catch {
            writeError("dyno merge: \(error)")
            return 2
        }
    }

    /// Machines that each saw every connection waiting: their connections and queues add up.
    static func mergedSaturation(_ parts: [Report.ServerSaturation]) -> Report.ServerSaturation? {
        guard !parts.isEmpty else { return nil }
        return Report.ServerSaturation(connectionsWaiting: parts.reduce(0) { $0 + $1.connectionsWaiting },
                                       connections: parts.reduce(0) { $0 + $1.connections },
                                       queued: parts.reduce(0) { $0 + $1.queued })
    }
}
