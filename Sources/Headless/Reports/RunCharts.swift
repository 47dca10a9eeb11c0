import DemoBackend
import Foundation
import Knobs
import Metrics

/// A run's charts: latency (p50, p99) and rate over time with the run's events marked, and the latency histogram.
public enum RunCharts {
    /// `faultKnobs`: the knobs whose changes are faults (red markers), by default the demo backend's fault group.
    static func charts(_ r: Report, faultKnobs: Set<String> = defaultFaultKnobs) -> [ReportDocument.Chart] {
        [.init(fileName: "latency.svg", title: "Latency over time", svg: latency(r, faultKnobs: faultKnobs)),
         .init(fileName: "rate.svg", title: "Rate over time", svg: rate(r, faultKnobs: faultKnobs)),
         .init(fileName: "histogram.svg", title: "Latency histogram", svg: histogram(r))]
    }

    static func timeAxis(_ r: Report) -> SVGChart.Axis {
        let end = max(r.timeSeries.last?.t ?? 0, r.warmupSeconds + r.measuredSeconds, 1)
        let start = min(r.timeSeries.first.map { $0.t - 1 } ?? 0, r.warmupSeconds)
        return SVGChart.Axis(lower: max(start, 0), upper: end, label: "seconds since the start")
    }

    static func latency(_ r: Report, faultKnobs: Set<String>) -> String {
        let s = r.timeSeries
        var chart = SVGChart(title: "Latency over time (corrected; service-time p99 dashed)", x: timeAxis(r),
                             y: .covering(s.flatMap { [$0.p99, $0.serviceP99] }, label: "ms"))
        if s.isEmpty { chart.note("no measured seconds in this report") }
        chart.line("p50", color: SVGChart.palette.a, points: s.map { ($0.t, $0.achievedRate > 0 ? $0.p50 : nil) })
        chart.line("p99", color: SVGChart.palette.d, points: s.map { ($0.t, $0.achievedRate > 0 ? $0.p99 : nil) })
        chart.line("service p99", color: SVGChart.palette.e, points: s.map { ($0.t, $0.achievedRate > 0 ? $0.serviceP99 : nil) },
                   dashed: true)
        mark(r.events, faultKnobs: faultKnobs, on: &chart)
        return chart.render()
    }

    static func rate(_ r: Report, faultKnobs: Set<String>) -> String {
        let s = r.timeSeries
        var chart = SVGChart(title: "Rate over time (responses/s; offered dashed)", x: timeAxis(r),
                             y: .covering(s.flatMap { [$0.achievedRate, $0.offeredRate] }, label: "per second"))
        if s.isEmpty { chart.note("no measured seconds in this report") }
        chart.line("achieved", color: SVGChart.palette.a, points: s.map { ($0.t, $0.achievedRate) })
        chart.line("offered", color: SVGChart.palette.grey, points: s.map { ($0.t, $0.offeredRate) }, dashed: true)
        chart.line("errors", color: SVGChart.palette.d, points: s.map { ($0.t, Double($0.errors)) })
        mark(r.events, faultKnobs: faultKnobs, on: &chart)
        return chart.render()
    }

    /// Knob changes in blue, faults (fault-group knobs) in red, breaker transitions in orange, the rest grey.
    static func mark(_ events: [Report.Event], faultKnobs: Set<String>, on chart: inout SVGChart) {
        for e in events {
            let kind = eventKind(e, faultKnobs: faultKnobs)
            let color: String
            switch kind {
            case "fault": color = SVGChart.palette.d
            case "breaker": color = SVGChart.palette.b
            case "knob": color = SVGChart.palette.a
            default: color = SVGChart.palette.grey
            }
            chart.marker(at: e.at, label: e.detail.isEmpty ? e.kind : e.detail, color: color, kind: kind)
        }
    }

    static func eventKind(_ e: Report.Event, faultKnobs: Set<String>) -> String {
        if e.kind.contains("breaker") { return "breaker" }
        if e.kind == "knob" || e.kind == "preset" {
            let id = e.detail.split(separator: "=").first.map(String.init) ?? ""
            return faultKnobs.contains(id) ? "fault" : "knob"
        }
        return e.kind
    }

    public static let defaultFaultKnobs = Set(DemoBackend.knobDefinitions.filter { $0.group == .fault }.map(\.id))

    static func histogram(_ r: Report) -> String {
        guard let corrected = r.totals.latencyHistogram?.histogram, !corrected.isEmpty else {
            var chart = SVGChart(title: "Latency histogram", x: .init(lower: 0, upper: 1, label: "ms"),
                                 y: .init(lower: 0, upper: 1, label: "responses"))
            chart.note("no latency histogram in this report (schema version 1, or no responses)")
            return chart.render()
        }
        let service = r.totals.serviceTimeHistogram?.histogram ?? LatencyHistogram()
        let low = max(min(corrected.minNanoseconds, service.isEmpty ? .max : service.minNanoseconds), 1_000)
        let high = max(corrected.maxNanoseconds, service.maxNanoseconds, low * 2)
        let bins = 48
        let lowMs = Double(low) / 1e6, highMs = Double(high) / 1e6
        let a = corrected.logBins(binCount: bins, low: low, high: high)
        let b = service.isEmpty ? [] : service.logBins(binCount: bins, low: low, high: high)
        let step = pow(highMs / lowMs, 1 / Double(bins))
        func edge(_ i: Int) -> Double { lowMs * pow(step, Double(i)) }
        var chart = SVGChart(title: "Latency histogram (\(corrected.count) responses; service time as a line)",
                             x: .init(lower: lowMs, upper: highMs, logarithmic: true, label: "ms (log scale)"),
                             y: .covering((a + b).map(Double.init), label: "responses"))
        chart.bars("corrected", color: SVGChart.palette.a, a.enumerated().compactMap { i, n in
            n == 0 ? nil : (edge(i), edge(i + 1), Double(n), "\(ms(edge(i)))–\(ms(edge(i + 1))): \(n)")
        })
        if !b.isEmpty {
            chart.line("service time", color: SVGChart.palette.b,
                       points: b.enumerated().map { i, n in ((edge(i) * edge(i + 1)).squareRoot(), Double(n)) })
        }
        return chart.render()
    }
}
