import DemoBackend
import Dispatch
import Engine
import Foundation
import Knobs
import Metrics

/// The subcommands behind the `dyno` executable. Each returns the process exit code:
/// 0 ok, 1 a threshold was missed, 2 bad usage or input (including a target that cannot be reached).
public enum Commands {
    public struct RunOptions: Sendable {
        public var profile: String?
        public var overrides: RunOverrides
        public var reportDirectory: String?
        public var quiet: Bool
        public var fps: Double
        public var noColor: Bool
        /// `--start-at`: unix seconds to start sending at (after the backend is built and seeded).
        public var startAt: Double? = nil
        public init(profile: String?, overrides: RunOverrides, reportDirectory: String?, quiet: Bool, fps: Double, noColor: Bool) {
            self.profile = profile; self.overrides = overrides; self.reportDirectory = reportDirectory
            self.quiet = quiet; self.fps = fps; self.noColor = noColor
        }
    }

    public struct ServeOptions: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var dataDirectory = ".dyno"
        public var scale = 1.0
        public var threads: Int? = nil
        public var preset: KnobPreset? = nil
        public var knobs: [String: String] = [:]
        public init() {}
    }

    // MARK: profiles

    /// The profile a run uses: the named/given file, an ad-hoc one for `--path`, or the shipped default.
    public static func resolveProfile(_ o: RunOptions, headless: Bool) throws(ProfileError) -> Profile {
        let registry = DemoBackend.makeKnobRegistry()
        var profile: Profile
        if let name = o.profile {
            guard let path = ResourceLocator.profilePath(name) else {
                let known = ResourceLocator.profileNames()
                throw ProfileError(file: name, field: "", message: "no such profile file" +
                                   (known.isEmpty ? "" : " (shipped profiles: \(known.joined(separator: ", ")))"))
            }
            profile = try ProfileParser.load(path: path, knobs: registry)
        } else if !o.overrides.paths.isEmpty {
            // Like wrk/oha: GET the given paths, 50 concurrent users, 10 s unless told otherwise.
            profile = Profile(name: "adhoc", source: "command line")
            profile.load = .closed(users: 50, thinkTimeSeconds: 0)
            profile.durationSeconds = 10
        } else {
            guard let path = ResourceLocator.profilePath("default") else {
                throw ProfileError(file: "Profiles/default.json", field: "",
                                   message: "the default profile was not found; run from the Dyno checkout or set DYNO_HOME")
            }
            profile = try ProfileParser.load(path: path, knobs: registry)
        }
        profile = o.overrides.apply(to: profile)
        if profile.mix.isEmpty {
            throw ProfileError(file: profile.source, field: "mix", message: "no requests to send: give the profile a \"mix\" or use --path")
        }
        if let note = try ExternalTarget.dropKnobSettings(&profile, overrides: o.overrides) { writeError(note) }
        try ProfileParser.validateKnobs(profile.knobs, registry: registry, field: "knobs", file: profile.source)
        if headless && profile.totalSeconds == nil {
            profile.durationSeconds = 30   // a headless run must end; the console runs until `q`
        }
        return profile
    }

    // MARK: run

    public static func run(_ o: RunOptions) -> Int32 {
        let profile: Profile
        do { profile = try resolveProfile(o, headless: true) } catch {
            writeError("dyno run: \(error)")
            return 2
        }
        guard preflight(profile, quiet: o.quiet) else { return 2 }
        let showProgress = !o.quiet && isatty(2) == 1
        let built: BuiltRun
        do {
            built = try RunBuilder.build(profile: profile, progress: { line in
                if !o.quiet { writeError(line) }
            })
        } catch {
            writeError("dyno run: \(error)")
            return 2
        }
        defer { built.shutdown() }
        let session = built.session
        let internalErrors = InternalErrorCollector()
        session.observeSnapshots { internalErrors.ingest($0) }
        if let startAt = o.startAt {
            if startAt > Date().timeIntervalSince1970 {
                if !o.quiet { writeError("dyno run: waiting to start at \(StartTime.format(startAt))") }
                StartTime.wait(until: startAt)
            } else {
                writeError("dyno run: warning: --start-at \(StartTime.format(startAt)) passed while preparing; starting now")
            }
        }
        do { try session.start() } catch {
            writeError("dyno run: \(error)")
            return 2
        }
        // Ctrl-C / SIGTERM end the run early; the summary and report still come out.
        let signals = SignalWatcher([SIGINT, SIGTERM]) { _ in session.requestStop() }
        defer { signals.cancel() }
        if showProgress {
            let progress = ProgressLine(session: session, total: profile.totalSeconds)
            progress.runUntilFinished()
        } else {
            session.waitUntilFinished()
        }
        let result = session.result()
        print(SummaryTable.render(result), terminator: "")
        let directory = o.reportDirectory ?? defaultReportDirectory(profile.name)
        do {
            let report = ReportJSON.report(result)
            try ReportDirectory.write(RunReportContent.document(report), json: report.jsonData(), to: directory)
            print("report: \((directory as NSString).appendingPathComponent("report.json")) (and summary.md, junit.xml, report.html, charts)")
            if let log = try internalErrors.write(into: directory) {
                print("errors: the backend logged \(internalErrors.count) internal error(s): \(log)")
            }
        } catch {
            writeError("dyno run: cannot write the report into \(directory): \(error.localizedDescription)")
            return 2
        }
        return result.passed ? 0 : 1
    }

    public static func defaultReportDirectory(_ name: String) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return "reports/\(name)-\(f.string(from: Date()))"
    }

    // MARK: serve

    public static func serve(_ o: ServeOptions) -> Int32 {
        var config = DemoBackendConfiguration()
        config.host = o.host
        config.port = o.port
        config.dataDirectory = o.dataDirectory
        config.scale = o.scale
        if let t = o.threads { config.serverThreads = t }
        config.preset = o.preset
        config.knobs = o.knobs
        config.knobSource = "cli"
        let backend: DemoBackend
        let port: Int
        do {
            backend = try DemoBackend.assemble(config, progress: { writeError($0) }).backend
            port = try backend.start()
        } catch {
            writeError("dyno serve: \(error)")
            return 2
        }
        print("dyno serve: Conduit API on http://\(o.host):\(port)/api  (metrics: /metrics, knobs: /debug/knobs)")
        print("dyno serve: Ctrl-C to stop")
        fflush(nil)   // stdout may be a pipe (CI, scripts): show the URL now
        let stopped = DispatchSemaphore(value: 0)
        let signals = SignalWatcher([SIGINT, SIGTERM]) { _ in stopped.signal() }
        stopped.wait()
        signals.cancel()
        writeError("dyno serve: stopping (finishing in-flight requests)")
        backend.stop()
        writeError("dyno serve: stopped")
        return 0
    }

    /// `dyno dependency`: the recommendations service alone, with the faults of the `dependency*` knobs.
    public static func dependency(host: String, port: Int, scale: Double, knobs: [String: String]) -> Int32 {
        let service: RecommendationsService
        do {
            let faults = try RecommendationsService.faults(fromKnobs: knobs)
            service = RecommendationsService(host: host, port: port, articleCount: Int64(max(1, 100_000 * scale)),
                                             faults: faults)
            let bound = try service.start()
            print("dyno dependency: recommendations on http://\(host):\(bound)  (GET /related/<id>, POST /spam-check), "
                  + "fault \(faults.mode.rawValue)")
        } catch {
            writeError("dyno dependency: \(error)")
            return 2
        }
        print("dyno dependency: Ctrl-C to stop")
        fflush(nil)
        let stopped = DispatchSemaphore(value: 0)
        let signals = SignalWatcher([SIGINT, SIGTERM]) { _ in stopped.signal() }
        stopped.wait()
        signals.cancel()
        service.stop()
        return 0
    }

    // MARK: knobs

    public static func knobsListing() -> String {
        var out = ""
        for group in KnobGroup.allCases {
            let defs = DemoBackend.knobDefinitions.filter { $0.group == group }
            guard !defs.isEmpty else { continue }
            var rows: [[String]] = []
            switch group {
            case .optimization:
                out += "Optimizations (the presets move these):\n"
                for d in defs {
                    rows.append([d.id, d.allowedDescription, d.defaultValue, d.naiveValue, d.optimizedValue,
                                 d.key.map(String.init) ?? "-", d.summary])
                }
                out += SummaryTable.table(header: ["knob", "values", "default", "naive", "optimized", "key", "what it changes"],
                                          rows: rows, leftAligned: Set(0...6))
            case .fault:
                out += "\nFaults (injected into the world around the backend; presets leave them alone):\n"
                for d in defs {
                    rows.append([d.id, d.allowedDescription, d.defaultValue, d.key.map(String.init) ?? "-", d.summary])
                }
                out += SummaryTable.table(header: ["knob", "values", "default", "key", "what it does"],
                                          rows: rows, leftAligned: Set(0...4))
            }
        }
        return out
            + "\nSet with --preset naive|optimized, --knob ID=VALUE, a profile, the console keys, or PUT /debug/knobs.\n"
    }
}

/// One line on stderr (a newline is added when missing).
public func writeError(_ text: String) {
    FileHandle.standardError.write((text.hasSuffix("\n") ? text : text + "\n").data(using: .utf8)!)
}

/// Calls `handler` on a private queue when one of `signals` arrives (the default action is disabled meanwhile).
final class SignalWatcher {
    private let sources: [DispatchSourceSignal]

    init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "dyno.signals")
        sources = signals.map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { handler(sig) }
            source.resume()
            return source
        }
    }

    func cancel() { for s in sources { s.cancel() } }
}

/// The live one-line progress on stderr: elapsed, rate, p50/p99, errors, in-flight.
final class ProgressLine: Sendable {
    let session: RunSession
    let total: Double?

    init(session: RunSession, total: Double?) {
        self.session = session
        self.total = total
    }

    func runUntilFinished() {
        var last = 0
        while !session.isFinished {
            usleep(250_000)   // a display refresh period, not synchronisation: the loop re-checks the state
            guard let s = session.latestSnapshot, s.sequence != last else { continue }
            last = s.sequence
            writeRaw("\r\u{1B}[K" + Self.line(s, total: total))
        }
        writeRaw("\r\u{1B}[K")
    }

    static func line(_ s: Snapshot, total: Double?) -> String {
        let l = s.load
        var text = String(format: "%5.1fs", s.elapsedSeconds)
        if let total { text += String(format: "/%.0fs", total) }
        if s.phase == .warmup { text += " warm-up" }
        text += String(format: "  %.0f/s (offered %.0f/s)", l.achievedRate, l.offeredRate)
        text += "  p50 " + formatLatency(nanoseconds: l.latencyTotal.percentile(50))
        text += "  p99 " + formatLatency(nanoseconds: l.latencyTotal.percentile(99))
        text += "  errors \(l.total.unexpectedErrors)"
        if l.total.errors > l.total.unexpectedErrors { text += " (+\(l.total.errors - l.total.unexpectedErrors) expected)" }
        text += "  in-flight \(l.inFlight)"
        if let tag = l.generator.bottleneck.tag { text += "  " + tag }
        return text
    }

    private func writeRaw(_ t: String) { FileHandle.standardError.write(t.data(using: .utf8)!) }
}
