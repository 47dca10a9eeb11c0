import DemoBackend
import Engine
import Foundation
import Knobs
import Metrics

/// `dyno verify [--quick] [--report-dir DIR] [--data DIR]`: the seed's acceptance criteria, executable. Each check
/// measures its trials against the embedded backend (same offered load for both settings, settling excluded),
/// judges them, and the table, the reports and the exit code follow: 0 every check passed (skipped ones aside),
/// 1 a check failed, 2 bad input or a run that could not be made.
public enum VerifyCommand {
    public struct Options: Sendable {
        public var quick = false
        public var reportDirectory: String?
        public var dataDirectory: String?
        public var scale: Double?
        public var quiet = false
        /// `--no-ablation` / `--ablation`: override the plan's choice.
        public var ablation: Bool?
        /// `--check NAME`: only these checks (empty: every one).
        public var checks: [String] = []
        public init() {}
    }

    /// One check's outcome, with the figures it was judged on.
    public struct Result: Sendable {
        public var check: any VerifyCheck
        public var verdict: VerifyVerdict
        public var trials: [String: VerifyTrial]
    }

    public static func run(_ o: Options) -> Int32 {
        var plan = o.quick ? VerifyPlan.quickRun : VerifyPlan.fullRun
        if let s = o.scale { plan.scale = s }
        if let a = o.ablation { plan.ablation = a } else if !o.checks.isEmpty { plan.ablation = false }
        // The full run offers the spike profile's peak; --quick keeps its lower rate (README: dyno verify).
        if !plan.quick, let peak = spikePeak() { plan.peakRate = peak }
        let data = o.dataDirectory ?? ".dyno-verify/scale-\(plan.scale)"
        let say: @Sendable (String) -> Void = { line in if !o.quiet { writeError(line) } }
        let definitions = DemoBackend.knobDefinitions
        let settings = KnobSettings(definitions)
        let started = Date()

        var trials: [VerifyTrial] = []
        var planned: [(any VerifyCheck, [String: VerifyTrial]?)] = []
        let chosen = o.checks.isEmpty ? VerifyChecks.all : VerifyChecks.all.filter { c in
            o.checks.contains { VerifyChecks.matching($0).contains { $0.name == c.name } }
        }
        for check in chosen {
            let missing = check.knobs.filter { !settings.known.contains($0) }
            if missing.isEmpty {
                let t = check.trials(plan, settings)
                planned.append((check, t))
                trials += t.values
            } else {
                planned.append((check, nil))
            }
        }
        let ablation = plan.ablation ? Ablation(settings: settings, definitions: definitions, rate: plan.ablationRate ?? plan.readRate) : nil
        if let ablation { trials += ablation.trials(settings) }

        say("dyno verify\(plan.quick ? " --quick" : ""): \(Set(trials).count) trials, scale \(plan.scale) (data \(data)), "
            + "\(VerifyFormat.seconds(plan.settleSeconds)) settle + \(VerifyFormat.seconds(plan.measureSeconds)) measured each")
        let measured: [VerifyTrial: VerifyMeasurement]
        do {
            measured = try VerifyRunner(plan: plan, dataDirectory: data, progress: say).run(trials, settings: settings)
        } catch {
            writeError("dyno verify: \(error)")
            return 2
        }

        let results = planned.map { check, t in
            Result(check: check, verdict: verdict(for: check, settings: settings, measured: measured, plan: plan), trials: t ?? [:])
        }
        var ablationRows: [Ablation.Row] = []
        if let ablation {
            ablationRows = Ablation.rows(
                naive: .init(measured[ablation.naiveTrial(settings)]!), optimized: .init(measured[ablation.optimizedTrial(settings)]!),
                families: ablation.families.map { f in
                    (f.name, on: .init(measured[ablation.aloneOn(f, settings)]!), off: .init(measured[ablation.aloneOff(f, settings)]!))
                })
        }
        let seconds = Date().timeIntervalSince(started)
        print(table(results), terminator: "")
        if !ablationRows.isEmpty {
            print("\nAblation (read mix at \(VerifyFormat.rate(plan.ablationRate ?? plan.readRate))):\n" + ablationTable(ablationRows), terminator: "")
        }
        let failed = results.filter { $0.verdict.outcome == .failed }.count
        print(failed == 0 ? "\nverify: every check that ran passed (\(Int(seconds)) s)\n"
                          : "\nverify: \(failed) check(s) FAILED (\(Int(seconds)) s)\n", terminator: "")

        let directory = o.reportDirectory ?? Commands.defaultReportDirectory(plan.quick ? "verify-quick" : "verify")
        do {
            let doc = VerifyReport.document(results, ablation: ablationRows, plan: plan, seconds: seconds)
            let json = try VerifyReport.json(results, ablation: ablationRows, plan: plan, measured: measured, seconds: seconds)
            try ReportDirectory.write(doc, json: json, to: directory)
            print("report: \((directory as NSString).appendingPathComponent("report.json")) (and summary.md, junit.xml, report.html, charts)")
        } catch {
            writeError("dyno verify: cannot write the report into \(directory): \(error.localizedDescription)")
            return 2
        }
        return failed == 0 ? 0 : 1
    }

    /// A check's verdict: skipped when the backend lacks one of its knobs (never passed), else its judgement of
    /// the measured trials.
    static func verdict(for check: any VerifyCheck, settings: KnobSettings, measured: [VerifyTrial: VerifyMeasurement],
                        plan: VerifyPlan) -> VerifyVerdict {
        let missing = check.knobs.filter { !settings.known.contains($0) }
        guard missing.isEmpty else {
            return .skipped("knob missing: " + missing.joined(separator: ", "), required: check.required)
        }
        var figures: [String: VerifyMeasurement] = [:]
        for (role, trial) in check.trials(plan, settings) {
            guard let m = measured[trial] else { return .skipped("not measured", required: check.required) }
            figures[role] = m
        }
        return check.judge(figures, plan: plan)
    }

    /// The peak rate of `Profiles/spike.json` (the pooling check's rate), nil when the profile is not there.
    static func spikePeak() -> Double? {
        guard let path = ResourceLocator.profilePath("spike"),
              let p = try? ProfileParser.load(path: path), case .open(let stages, _) = p.load else { return nil }
        for s in stages { if case .spike(_, let peak, _, _, _) = s { return peak } }
        return nil
    }

    public static let header = ["check", "naive", "optimized", "required", "verdict"]

    static func word(_ o: VerifyVerdict.Outcome) -> String {
        switch o {
        case .passed: "pass"
        case .failed: "FAIL"
        case .skipped(let why): "skipped (\(why))"
        }
    }

    public static func table(_ results: [Result]) -> String {
        SummaryTable.table(header: header, rows: results.map { r in
            [r.check.name, r.verdict.naive, r.verdict.optimized, r.verdict.required, word(r.verdict.outcome)]
        }, leftAligned: Set(0...4))
    }

    public static func ablationTable(_ rows: [Ablation.Row]) -> String {
        SummaryTable.table(header: VerifyReport.ablationHeader, rows: rows.map(VerifyReport.ablationCells), leftAligned: [0])
    }
}
