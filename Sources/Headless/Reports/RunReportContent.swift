import Engine
import Foundation
import Metrics

/// A run's report.json as a `ReportDocument`: the thresholds as checks, the routes, status codes and events as
/// tables, and its charts (latency and rate over time with the events marked, the latency histogram).
public enum RunReportContent {
    /// `faultKnobs`: knobs whose changes the charts mark as faults (default: the demo backend's fault group).
    public static func document(_ r: Report, command: String = "dyno run",
                                faultKnobs: Set<String> = RunCharts.defaultFaultKnobs) -> ReportDocument {
        var d = ReportDocument(command: command, title: "\(r.profile.name) · \(r.target)")
        d.lead = [
            "\(modelText(r.model)) · measured \(fixed(r.measuredSeconds, 1)) s"
                + (r.warmupSeconds > 0 ? " after \(fixed(r.warmupSeconds, 1)) s warm-up" : "")
                + " · started \(r.startedAt)",
            "\(r.totals.completed) responses · \(fixed(r.totals.achievedRate, 1))/s · errors \(r.totals.errors)"
                + " (\(fixed(r.totals.errorRate * 100, 2))%) · p50 \(ms(r.totals.latency.p50)) · p99 \(ms(r.totals.latency.p99))",
        ]
        if let sources = r.mergedFrom { d.lead.append("merged from \(sources.count) reports: \(sources.joined(separator: ", "))") }
        d.checks = r.thresholds.map {
            .init(name: $0.name, outcome: $0.passed ? .passed : .failed, measured: $0.actual, required: $0.limit)
        }
        if let warning = r.generator.bottleneck.reportWarning { d.warnings.append(warning) }

        var rows: [[String]] = r.routes.map { route in
            [route.name, String(route.count), fixed(route.rate, 1), ms(route.latency.p50), ms(route.latency.p95),
             ms(route.latency.p99), ms(route.latency.max), ms(route.serviceTime.p99), String(route.errors)]
        }
        let t = r.totals
        rows.append(["all", String(t.completed), fixed(t.achievedRate, 1), ms(t.latency.p50), ms(t.latency.p95),
                     ms(t.latency.p99), ms(t.latency.max), ms(t.serviceTime.p99), String(t.errors)])
        var routes = ReportDocument.Section(title: "Routes", tables: [.init(
            header: ["route", "count", "rate/s", "p50", "p95", "p99", "max", "service p99", "errors"], rows: rows)])
        routes.paragraphs = ["Latency is measured from each request's intended send time (coordinated-omission corrected); "
                             + "service time from the actual send."]
        d.sections.append(routes)

        var codes = r.status.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }
        codes += r.transportErrors.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }
        if !codes.isEmpty { d.sections.append(.init(title: "Status codes", paragraphs: [codes.joined(separator: " · ")])) }
        if !r.events.isEmpty {
            d.sections.append(.init(title: "Events", tables: [.init(
                header: ["at", "kind", "change", "by"],
                rows: r.events.map { [fixed($0.at, 1) + " s", $0.kind, $0.detail, $0.source] }, textColumns: [1, 2, 3])]))
        }
        if !r.knobs.isEmpty {
            d.sections.append(.init(title: "Knobs at the end",
                                    paragraphs: [r.knobs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")]))
        }
        d.charts = RunCharts.charts(r, faultKnobs: faultKnobs)
        return d
    }

    static func modelText(_ m: Report.Model) -> String {
        if m.type == "open" { return "open model, \(fixed(m.rate ?? 0, 0))/s" }
        return "closed model, \(m.users ?? 0) users" + ((m.thinkTimeSeconds ?? 0) > 0 ? ", think \(m.thinkTimeSeconds!) s" : "")
    }
}

/// "12.3 ms" from milliseconds (reports keep latencies in ms); "-" for nothing measured.
func ms(_ milliseconds: Double) -> String {
    milliseconds <= 0 ? "-" : formatLatency(nanoseconds: UInt64((milliseconds * 1e6).rounded()))
}

func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
