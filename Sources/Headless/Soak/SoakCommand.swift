import Engine
import Foundation
import Metrics

/// `dyno soak [PROFILE] [--duration 10m] [--check-every 1m] [--preset …]`: steady load for a long time. Every check
/// period it samples the process (RSS, anonymous RSS, file descriptors, threads) and the load of that period (p99,
/// error rate), prints a line, and at the end judges the run (`SoakJudge`: leak verdict, descriptor and thread
/// growth, error rate, p99 drift). Exit 0 every check held, 1 one failed, 2 bad input.
public enum SoakCommand {
    public struct Options: Sendable {
        public var run: Commands.RunOptions
        public var durationSeconds: Double = 600
        public var checkEverySeconds: Double = 60
        public var judge = SoakJudge()
        public init(run: Commands.RunOptions) { self.run = run }
    }

    public static func run(_ o: Options, clock: any RunClock = SystemRunClock()) -> Int32 {
        var profile: Profile
        do { profile = try Commands.resolveProfile(o.run, headless: false) } catch {
            writeError("dyno soak: \(error)")
            return 2
        }
        // One open-ended session: the soak decides when it ends.
        profile.durationSeconds = nil
        profile.knobSchedule = []
        let built: BuiltRun
        do {
            built = try RunBuilder.build(profile: profile, clock: clock, progress: { if !o.run.quiet { writeError($0) } })
        } catch {
            writeError("dyno soak: \(error)")
            return 2
        }
        defer { built.shutdown() }
        let session = built.session
        // The soak judges its own windows and samples; a week of per-second samples would be its own leak.
        session.retainSamples(atMost: 600)
        do { try session.start() } catch {
            writeError("dyno soak: \(error)")
            return 2
        }
        let say = { (line: String) in if !o.run.quiet { writeError(line) } }
        say("dyno soak: \(profile.name) against \(session.targetDescription) for \(Int(o.durationSeconds)) s, "
            + "a check every \(Int(o.checkEverySeconds)) s (warm-up \(Int(profile.warmupSeconds)) s not judged)")
        clock.sleep(until: clock.now() + UInt64(profile.warmupSeconds * 1e9))
        session.resetStatistics(source: "soak")
        let start = clock.now()
        let end = start + UInt64(o.durationSeconds * 1e9)
        var samples = [ProcessSample.current(at: 0)]
        // The leak detector's series: memory every few seconds between the checks (at most 3,600 samples a run).
        let memoryEvery = UInt64(SoakJudge.memoryIntervalSeconds(durationSeconds: o.durationSeconds) * 1e9)
        var memory = MemorySample.read(at: 0).map { [$0] } ?? []
        var windows: [SoakWindow] = []
        var nextCheck = start + UInt64(o.checkEverySeconds * 1e9), nextMemory = start + memoryEvery
        while true {
            clock.sleep(until: min(nextCheck, nextMemory, end))
            let now = clock.now()
            let t = Double(now - start) / 1e9
            if now >= nextMemory || now >= end {
                if let m = MemorySample.read(at: t) { memory.append(m) }
                while nextMemory <= now { nextMemory += memoryEvery }
            }
            guard now >= nextCheck || now >= end else { continue }
            nextCheck += UInt64(o.checkEverySeconds * 1e9)
            if let s = session.latestSnapshot {
                let total = s.load.total
                windows.append(SoakWindow(t: t, completed: total.completed, errorRate: total.unexpectedErrorRate,
                                          p99Nanoseconds: s.load.latencyTotal.percentile(99)))
            }
            session.resetStatistics(source: "soak")
            samples.append(.current(at: t))
            if let w = windows.last, let p = samples.last {
                let leak = o.judge.leak(memory)
                say(String(format: "  %6.0f s: ", t) + "\(w.completed) responses, p99 " + formatLatency(nanoseconds: w.p99Nanoseconds)
                    + String(format: ", errors %.2f%%, anon RSS %.1f MB", w.errorRate * 100, Double(p.rssAnonBytes) / 1_048_576)
                    + ", fds \(p.fileDescriptors), threads \(p.threads), leak verdict \(leak.verdict.rawValue)")
            }
            if now >= end { break }
        }
        session.requestStop()
        let outcomes = o.judge.judge(samples: samples, memory: memory, windows: windows)
        print(SummaryTable.table(header: ["check", "measured", "required", "verdict"],
                                 rows: outcomes.map { [$0.name, $0.measured, $0.required, $0.passed ? "pass" : "FAIL"] },
                                 leftAligned: Set(0...3)), terminator: "")
        let passed = outcomes.allSatisfy(\.passed)
        print(passed ? "soak: every check held\n" : "soak: a check FAILED\n", terminator: "")
        let directory = o.run.reportDirectory ?? Commands.defaultReportDirectory("soak-" + profile.name)
        do {
            try SoakReport.write(outcomes: outcomes, samples: samples, memory: memory, windows: windows, judge: o.judge, profile: profile.name,
                                 target: session.targetDescription, to: directory)
            print("report: \((directory as NSString).appendingPathComponent("report.json")) (and summary.md, junit.xml, soak.svg, report.html)")
        } catch {
            writeError("dyno soak: cannot write the report into \(directory): \(error.localizedDescription)")
            return 2
        }
        return passed ? 0 : 1
    }
}

/// soak's report directory: report.json (schema `dyno.soak` 1), and through `ReportDocument` summary.md,
/// junit.xml, `soak.svg` (anonymous RSS and p99 per check) and report.html.
enum SoakReport {
    struct JSON: Codable {
        var schema = "dyno.soak"
        var schemaVersion = 1
        var profile: String
        var target: String
        var passed: Bool
        var leakVerdict: String
        var memorySlopeBytesPerSecond: Double?
        var memoryFit: Double?
        var checks: [[String: String]]
        var samples: [ProcessSample]
        /// The leak detector's series (anonymous RSS and heap in use, every few seconds).
        var memory: [MemorySample]
        var windows: [SoakWindow]
    }

    static func write(outcomes: [SoakJudge.Outcome], samples: [ProcessSample], memory: [MemorySample], windows: [SoakWindow],
                      judge: SoakJudge, profile: String, target: String, to directory: String) throws {
        let leak = judge.leak(memory)
        let json = JSON(profile: profile, target: target, passed: outcomes.allSatisfy(\.passed), leakVerdict: leak.verdict.rawValue,
                        memorySlopeBytesPerSecond: leak.samples >= 2 ? leak.slopeBytesPerSecond : nil,
                        memoryFit: leak.samples >= 2 ? leak.fit : nil,
                        checks: outcomes.map { ["name": $0.name, "measured": $0.measured, "required": $0.required,
                                                "outcome": $0.passed ? "passed" : "failed"] },
                        samples: samples, memory: memory, windows: windows)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var d = ReportDocument(command: "dyno soak", title: "\(profile) against \(target)")
        d.lead = ["\(samples.count) process samples, \(windows.count) load windows over \(Int(samples.last?.t ?? 0)) s.",
                  "Embedded runs: the load generator shares the process, so its memory is in these figures too."]
        d.checks = outcomes.map { .init(name: $0.name, outcome: $0.passed ? .passed : .failed, measured: $0.measured, required: $0.required) }
        d.sections.append(.init(title: "Samples", tables: [.init(
            header: ["t (s)", "RSS (MB)", "anon RSS (MB)", "fds", "threads"],
            rows: samples.map { [String(format: "%.0f", $0.t), String(format: "%.1f", Double($0.rssBytes) / 1_048_576),
                                 String(format: "%.1f", Double($0.rssAnonBytes) / 1_048_576), "\($0.fileDescriptors)", "\($0.threads)"] })]))
        var chart = SVGChart(title: "Soak: anonymous RSS and p99 per check",
                             x: .covering(memory.map(\.t) + samples.map(\.t), label: "seconds"),
                             y: .covering(memory.map { Double($0.rssAnonBytes) / 1_048_576 } + windows.map { Double($0.p99Nanoseconds) / 1e6 },
                                          label: "MB / ms"))
        chart.line("anon RSS (MB)", color: SVGChart.palette.a, points: memory.map { ($0.t, Double($0.rssAnonBytes) / 1_048_576) })
        chart.line("p99 (ms)", color: SVGChart.palette.b, points: windows.map { ($0.t, Double($0.p99Nanoseconds) / 1e6) })
        d.charts = [.init(fileName: "soak.svg", title: "anonymous RSS and p99 over the soak", svg: chart.render())]
        try ReportDirectory.write(d, json: encoder.encode(json), to: directory)
    }
}
