import Foundation
import Metrics

/// verify's report directory: report.json (schema `dyno.verify` 1), and through `ReportDocument` summary.md,
/// junit.xml (one test case per check), `ab-checks.svg` (each check's naive and optimized figure) and report.html.
enum VerifyReport {
    static func document(_ results: [VerifyCommand.Result], ablation: [Ablation.Row], plan: VerifyPlan, seconds: Double) -> ReportDocument {
        var d = ReportDocument(command: "dyno verify", title: plan.quick ? "acceptance checks (quick)" : "acceptance checks")
        d.lead = ["Embedded demo backend, scale \(plan.scale) (figures at a small scale are smaller than at scale 1); "
                  + "\(VerifyFormat.seconds(plan.settleSeconds)) settle (not measured) + \(VerifyFormat.seconds(plan.measureSeconds)) measured per trial; "
                  + "\(Int(seconds)) s in all.",
                  "Both settings of a check get the same offered load (open model; latency from the intended send time)."]
        d.checks = results.map { r in
            let outcome: ReportDocument.Check.Outcome
            switch r.verdict.outcome {
            case .passed: outcome = .passed
            case .failed: outcome = .failed
            case .skipped(let why): outcome = .skipped(why)
            }
            return .init(name: r.check.name, outcome: outcome,
                         measured: "naive \(r.verdict.naive); optimized \(r.verdict.optimized)", required: r.verdict.required)
        }
        d.sections.append(.init(
            title: "Checks",
            paragraphs: ["Each check implements one acceptance criterion of the seed; the note says how it was measured."],
            tables: [.init(header: VerifyCommand.header + ["criterion", "how"],
                           rows: results.map { r in
                               [r.check.name, r.verdict.naive, r.verdict.optimized, r.verdict.required,
                                VerifyCommand.word(r.verdict.outcome), r.check.criterion, r.verdict.note]
                           }, textColumns: Set(0...6))]))
        if !ablation.isEmpty {
            d.sections.append(.init(
                title: "Ablation",
                paragraphs: ["Read mix at \(VerifyFormat.rate(plan.ablationRate ?? plan.readRate)) (a rate the all-naive backend sustains). Each knob alone on from all-naive, and alone off from "
                             + "all-optimized. Share: how far the knob alone moves the figure along the whole naive→optimized "
                             + "change (on: from naive; off: what turning it off alone gives back). 100% = all of it; "
                             + "shares need not add up to 100% (knobs interact)."],
                tables: [.init(header: ablationHeader, rows: ablation.map(ablationCells))]))
        }
        d.charts = [.init(fileName: "ab-checks.svg", title: "naive vs optimized per check", svg: bars(results))]
        return d
    }

    static let ablationHeader = ["knob", "on: p95", "on: rate", "on: q/read", "share p95", "share rate", "share q",
                                 "off: p95", "off: rate", "off: q/read", "share p95", "share rate", "share q"]

    static func ablationCells(_ r: Ablation.Row) -> [String] {
        func pct(_ x: Double) -> String { x.isNaN ? "-" : String(format: "%.0f%%", x * 100) }
        func figures(_ f: Ablation.Figures) -> [String] {
            [String(format: "%.1f ms", f.p95Milliseconds), VerifyFormat.rate(f.achievedRate), String(format: "%.2f", f.queriesPerRead)]
        }
        return [r.family] + figures(r.aloneOn) + [pct(r.shareOn.p95Milliseconds), pct(r.shareOn.achievedRate), pct(r.shareOn.queriesPerRead)]
            + figures(r.aloneOff) + [pct(r.shareOff.p95Milliseconds), pct(r.shareOff.achievedRate), pct(r.shareOff.queriesPerRead)]
    }

    /// A/B bars: each judged check's optimized figure as a percentage of its naive one (naive = 100%).
    static func bars(_ results: [VerifyCommand.Result]) -> String {
        let judged = results.filter { $0.verdict.naiveValue != nil && $0.verdict.optimizedValue != nil && $0.verdict.naiveValue! > 0 }
        let categories = judged.map(\.check.name)
        let optimized = judged.map { 100 * $0.verdict.optimizedValue! / $0.verdict.naiveValue! }
        var chart = SVGChart(title: "Optimized as % of naive, per check (each check's own figure)",
                             x: .init(lower: 0, upper: Double(max(categories.count, 1)), label: "", categories: categories),
                             y: .covering(optimized + [100], label: "% of naive"))
        if categories.isEmpty { chart.note("no check with figures on both sides") }
        chart.bars("naive", color: SVGChart.palette.grey, judged.enumerated().map { i, r in
            (Double(i) + 0.15, Double(i) + 0.5, 100, "naive \(r.check.name): \(r.verdict.naive)")
        })
        chart.bars("optimized", color: SVGChart.palette.a, judged.enumerated().map { i, r in
            (Double(i) + 0.5, Double(i) + 0.85, optimized[i], "optimized \(r.check.name): \(r.verdict.optimized)")
        })
        return chart.render()
    }

    // MARK: report.json

    struct JSONReport: Codable {
        var schema = "dyno.verify"
        var schemaVersion = 1
        var quick: Bool
        var scale: Double
        var settleSeconds: Double
        var measureSeconds: Double
        var seconds: Double
        var passed: Bool
        var checks: [JSONCheck]
        var ablation: [JSONAblationRow]?
    }

    struct JSONCheck: Codable {
        var name: String
        var criterion: String
        var naive: String
        var optimized: String
        var required: String
        /// "passed", "failed", "skipped".
        var outcome: String
        var skippedBecause: String?
        var note: String?
        var naiveValue: Double?
        var optimizedValue: Double?
        var trials: [String: JSONTrial]?
    }

    struct JSONTrial: Codable {
        var mix: String
        var kind: String
        var offeredRate: Double
        var knobs: [String: String]
        var achievedRate: Double?
        var p50Ms: Double?
        var p95Ms: Double?
        var p99Ms: Double?
        var errors: UInt64?
        var queriesPerRead: Double?
        var dbMsPerRead: Double?
        var poolTimeouts: UInt64?
        var capacitySteps: [CapacityStepFigures]?
    }

    struct JSONAblationRow: Codable {
        var knob: String
        var aloneOn: [String: Double]
        var aloneOff: [String: Double]
        var shareOn: [String: Double]
        var shareOff: [String: Double]
    }

    static func trialJSON(_ t: VerifyTrial, _ m: VerifyMeasurement?) -> JSONTrial {
        var j = JSONTrial(mix: t.mix.rawValue, kind: t.kind.rawValue, offeredRate: t.rate, knobs: t.knobs)
        guard let m else { return j }
        if t.kind == .capacity {
            j.capacitySteps = m.capacitySteps
        } else {
            let o = m.overall
            j.achievedRate = m.achievedRate
            j.p50Ms = Double(o.latency.percentile(50)) / 1e6
            j.p95Ms = Double(o.latency.percentile(95)) / 1e6
            j.p99Ms = Double(o.latency.percentile(99)) / 1e6
            j.errors = o.errors
            j.queriesPerRead = m.queriesPerRequest(isRead)
            j.dbMsPerRead = m.dbMillisecondsPerRequest(isRead)
            j.poolTimeouts = m.poolTimeouts
        }
        return j
    }

    static func json(_ results: [VerifyCommand.Result], ablation: [Ablation.Row], plan: VerifyPlan,
                     measured: [VerifyTrial: VerifyMeasurement], seconds: Double) throws -> Data {
        let checks = results.map { r -> JSONCheck in
            var outcome = "passed", why: String? = nil
            switch r.verdict.outcome {
            case .passed: break
            case .failed: outcome = "failed"
            case .skipped(let w): outcome = "skipped"; why = w
            }
            return JSONCheck(name: r.check.name, criterion: r.check.criterion, naive: r.verdict.naive, optimized: r.verdict.optimized,
                             required: r.verdict.required, outcome: outcome, skippedBecause: why,
                             note: r.verdict.note.isEmpty ? nil : r.verdict.note, naiveValue: r.verdict.naiveValue,
                             optimizedValue: r.verdict.optimizedValue,
                             trials: r.trials.isEmpty ? nil : r.trials.mapValues { trialJSON($0, measured[$0]) })
        }
        func dict(_ f: Ablation.Figures) -> [String: Double] {
            var d: [String: Double] = [:]
            if !f.p95Milliseconds.isNaN { d["p95Ms"] = f.p95Milliseconds }
            if !f.achievedRate.isNaN { d["achievedRate"] = f.achievedRate }
            if !f.queriesPerRead.isNaN { d["queriesPerRead"] = f.queriesPerRead }
            return d
        }
        let report = JSONReport(quick: plan.quick, scale: plan.scale, settleSeconds: plan.settleSeconds, measureSeconds: plan.measureSeconds,
                                seconds: seconds, passed: !results.contains { $0.verdict.outcome == .failed }, checks: checks,
                                ablation: ablation.isEmpty ? nil : ablation.map {
                                    JSONAblationRow(knob: $0.family, aloneOn: dict($0.aloneOn), aloneOff: dict($0.aloneOff),
                                                    shareOn: dict($0.shareOn), shareOff: dict($0.shareOff))
                                })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(report)
    }
}
