import Foundation

/// `dyno compare A.json B.json`: the table on stdout and, with `--out DIR`, a report directory (comparison.json,
/// summary.md, junit.xml, A/B bar charts, report.html). Exit 0 no regression, 1 a regression beyond a threshold,
/// 2 bad input (the file and field named).
public enum CompareReport {
    public static func command(baseline: String, candidate: String, thresholds: RegressionThresholds, out: String?) -> Int32 {
        let a: Report, b: Report
        do {
            a = try Report.read(path: baseline)
            b = try Report.read(path: candidate)
        } catch {
            writeError("dyno compare: \(error)")
            return 2
        }
        let comparison = Comparison(baseline: a, file: baseline, candidate: b, file: candidate, thresholds: thresholds)
        print(text(comparison), terminator: "")
        if let out {
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try ReportDirectory.write(document(comparison), json: encoder.encode(comparison), jsonName: "comparison.json", to: out)
                print("report: \((out as NSString).appendingPathComponent("comparison.json")) (and summary.md, junit.xml, report.html, charts)")
            } catch {
                writeError("dyno compare: cannot write the report into \(out): \(error.localizedDescription)")
                return 2
            }
        }
        return comparison.passed ? 0 : 1
    }

    static func cells(_ row: Comparison.Row) -> [String] {
        let m = row.metric
        return [m.rawValue, m.format(row.baseline), m.format(row.candidate), m.formatDelta(row.delta),
                row.relativeDelta.map { String(format: "%+.1f%%", $0 * 100) } ?? "-",
                row.band.map { "±" + m.formatDelta($0).dropFirst() } ?? "-", row.verdict.rawValue,
                row.threshold.map { ($0) + (row.regression == true ? " EXCEEDED" : " ok") } ?? ""]
    }

    static let header = ["metric", "A", "B", "change", "change %", "noise", "verdict", "threshold"]

    /// The console table.
    public static func text(_ c: Comparison) -> String {
        var out = "A: \(c.baseline.file) (\(c.baseline.profile), \(c.baseline.seconds) s)\n"
        out += "B: \(c.candidate.file) (\(c.candidate.profile), \(c.candidate.seconds) s)\n\n"
        out += SummaryTable.table(header: header, rows: c.overall.map(cells), leftAligned: [0, 6, 7])
        if !c.routes.isEmpty {
            out += "\nper route (no noise band: the reports keep per-second figures for the whole run only):\n"
            var rows: [[String]] = []
            for r in c.routes {
                for row in r.rows {
                    rows.append([row.metric == .rate ? r.route : "", row.metric.rawValue, row.metric.format(row.baseline),
                                 row.metric.format(row.candidate), row.relativeDelta.map { String(format: "%+.1f%%", $0 * 100) } ?? "-"])
                }
            }
            out += SummaryTable.table(header: ["route", "metric", "A", "B", "change %"], rows: rows, leftAligned: [0, 1])
        }
        out += c.passed ? "\nno regression beyond a threshold\n"
                        : "\nREGRESSION beyond a threshold: \(c.regressions.joined(separator: ", "))\n"
        return out
    }

    /// The comparison as a report document: thresholds as checks, the tables, the A/B bars.
    public static func document(_ c: Comparison) -> ReportDocument {
        var d = ReportDocument(command: "dyno compare", title: "\(c.baseline.profile) (A) vs \(c.candidate.profile) (B)")
        d.lead = ["A: \(c.baseline.file) · \(c.baseline.target) · started \(c.baseline.startedAt) · \(c.baseline.seconds) s",
                  "B: \(c.candidate.file) · \(c.candidate.target) · started \(c.candidate.startedAt) · \(c.candidate.seconds) s"]
        d.checks = c.overall.compactMap { row in
            guard let threshold = row.threshold else { return nil }
            let measured = row.metric.formatDelta(row.delta)
                + (row.relativeDelta.map { String(format: " (%+.1f%%)", $0 * 100) } ?? "")
                + (row.band.map { ", noise ±" + row.metric.formatDelta($0).dropFirst() } ?? "")
            let outcome: ReportDocument.Check.Outcome = row.regression == nil ? .skipped("no figure in one report")
                : row.regression! ? .failed : .passed
            return .init(name: "\(row.metric.rawValue) change", outcome: outcome, measured: measured, required: "≤ " + threshold)
        }
        d.sections.append(.init(
            title: "Overall",
            paragraphs: ["Whole-run figures; the noise band is 2 standard errors of the difference of the per-second means. "
                         + "A change inside it is noise; a regression is a change beyond its threshold and outside the band."],
            tables: [.init(header: header, rows: c.overall.map(cells), textColumns: [0, 6, 7])]))
        if !c.routes.isEmpty {
            var rows: [[String]] = []
            for r in c.routes {
                for row in r.rows {
                    rows.append([row.metric == .rate ? r.route : "", row.metric.rawValue, row.metric.format(row.baseline),
                                 row.metric.format(row.candidate), row.relativeDelta.map { String(format: "%+.1f%%", $0 * 100) } ?? "-"])
                }
            }
            d.sections.append(.init(title: "Per route", tables: [.init(header: ["route", "metric", "A", "B", "change %"],
                                                                      rows: rows, textColumns: [0, 1])]))
        }
        d.charts = [.init(fileName: "ab-latency.svg", title: "A/B latency", svg: latencyBars(c)),
                    .init(fileName: "ab-routes.svg", title: "A/B p99 per route", svg: routeBars(c))]
        return d
    }

    /// Grouped bars A|B for p50, p95, p99 (ms), each B bar with its noise band as a whisker.
    static func latencyBars(_ c: Comparison) -> String {
        let rows = c.overall.filter { [.p50, .p95, .p99].contains($0.metric) }
        return bars(title: "Latency, A vs B (whisker: noise band)", categories: rows.map(\.metric.rawValue),
                    a: rows.map(\.baseline), b: rows.map(\.candidate), bands: rows.map(\.band), unit: "ms")
    }

    static func routeBars(_ c: Comparison) -> String {
        let rows = c.routes.compactMap { r in r.rows.first { $0.metric == .p99 }.map { (r.route, $0) } }
        return bars(title: "p99 per route, A vs B", categories: rows.map(\.0), a: rows.map(\.1.baseline),
                    b: rows.map(\.1.candidate), bands: rows.map { _ in nil }, unit: "ms")
    }

    static func bars(title: String, categories: [String], a: [Double?], b: [Double?], bands: [Double?], unit: String) -> String {
        let top = zip(b, bands).map { ($0 ?? 0) + ($1 ?? 0) } + a.map { $0 ?? 0 }
        var chart = SVGChart(title: title, x: .init(lower: 0, upper: Double(max(categories.count, 1)), label: "",
                                                    categories: categories),
                             y: .covering(top, label: unit))
        if categories.isEmpty { chart.note("nothing to compare") }
        chart.bars("A", color: SVGChart.palette.grey, a.enumerated().compactMap { i, v in
            v.map { (Double(i) + 0.15, Double(i) + 0.5, $0, "A \(categories[i]): \(ms($0))") }
        })
        chart.bars("B", color: SVGChart.palette.a, b.enumerated().compactMap { i, v in
            v.map { (Double(i) + 0.5, Double(i) + 0.85, $0, "B \(categories[i]): \(ms($0))") }
        })
        for (i, band) in bands.enumerated() {
            guard let band, let v = b[i] else { continue }
            chart.line("noise band", color: "#000000", points: [(Double(i) + 0.675, v - band), (Double(i) + 0.675, v + band)],
                       inLegend: i == bands.firstIndex { $0 != nil })
        }
        return chart.render()
    }
}
