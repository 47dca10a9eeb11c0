import Engine
import Foundation
import Metrics

/// `dyno capacity`'s report directory through `ReportDocument`: capacity.json (schema `dyno.capacity`), summary.md,
/// junit.xml (one case: some rate met the service level), `capacity.svg` (offered rate vs p99 with the service
/// level's p99 and the knee marked) and report.html.
enum CapacityReport {
    static func document(_ search: CapacitySearch, level: ServiceLevel, profile: String, target: String) -> ReportDocument {
        var d = ReportDocument(command: "dyno capacity", title: "\(profile) against \(target)")
        d.lead = ["Service level: \(level.description)",
                  "Open model; each step settles (not measured), then is measured on its own; step up ×2, then bisect."]
        let knee = search.knee
        d.checks = [.init(name: "some rate meets the service level", outcome: knee == nil ? .failed : .passed,
                          measured: knee.map { "capacity " + CapacityCommand.threeDigitsRate($0.offeredRate)
                              + (search.reachedMaxRate ? " or more" : "") } ?? "no measured rate meets it",
                          required: level.description)]
        let rows = search.curve.map { s in
            [CapacityCommand.threeDigitsRate(s.offeredRate), CapacityCommand.threeDigitsRate(s.achievedRate),
             formatLatency(nanoseconds: s.p50Nanoseconds), formatLatency(nanoseconds: s.p99Nanoseconds),
             String(format: "%.2f%%", s.errorRate * 100),
             s.dbSecondsPerRequest.map { formatLatency(nanoseconds: UInt64($0 * 1e9)) } ?? "-",
             (s.offeredRate == knee?.offeredRate ? "knee: " : "") + (s.miss ?? "meets")]
        }
        var paragraphs: [String] = []
        if let knee, let advice = PoolSizeAdvice(at: knee) { paragraphs.append(advice.explanation) }
        d.sections.append(.init(title: "Curve", paragraphs: paragraphs,
                                tables: [.init(header: ["offered", "achieved", "p50", "p99", "errors", "DB/request", "verdict"],
                                               rows: rows, textColumns: [6])]))
        d.charts = [.init(fileName: "capacity.svg", title: "offered rate vs p99, knee marked", svg: curve(search, level: level))]
        return d
    }

    /// p99 (log scale) against the offered rate; passing steps and missing ones apart, the SLO's p99 as a dashed
    /// line, the knee as a marker.
    static func curve(_ search: CapacitySearch, level: ServiceLevel) -> String {
        let steps = search.curve
        let p99s = steps.map { Double($0.p99Nanoseconds) / 1e6 }
        let rates = steps.map(\.offeredRate)
        var y = SVGChart.Axis.covering(p99s + [level.p99Seconds.map { $0 * 1e3 } ?? 0], label: "p99 (ms)")
        y.lower = max(min(p99s.filter { $0 > 0 }.min() ?? 1, (level.p99Seconds ?? 1) * 1e3) / 2, 0.01)
        y.logarithmic = true
        var chart = SVGChart(title: "Capacity: p99 vs offered rate",
                             x: .covering(rates, label: "offered rate (requests/s)"), y: y)
        if steps.isEmpty { chart.note("no steps measured") }
        chart.line("p99", color: SVGChart.palette.a, points: zip(rates, p99s).map { ($0, $1) })
        chart.bars("meets", color: SVGChart.palette.c, steps.enumerated().filter { $0.element.passed }.map { i, s in
            (s.offeredRate - 0.004 * chart.x.upper, s.offeredRate + 0.004 * chart.x.upper, p99s[i], "meets at \(s.offeredRate)/s")
        })
        chart.bars("misses", color: SVGChart.palette.d, steps.enumerated().filter { !$0.element.passed }.map { i, s in
            (s.offeredRate - 0.004 * chart.x.upper, s.offeredRate + 0.004 * chart.x.upper, p99s[i], "misses at \(s.offeredRate)/s: \(s.miss ?? "")")
        })
        if let p = level.p99Seconds {
            chart.line("SLO p99", color: "#000000", points: [(chart.x.lower, p * 1e3), (chart.x.upper, p * 1e3)], dashed: true)
        }
        if let knee = search.knee {
            chart.marker(at: knee.offeredRate, label: "knee \(CapacityCommand.threeDigitsRate(knee.offeredRate))",
                         color: SVGChart.palette.b, kind: "knee")
        }
        return chart.render()
    }
}
