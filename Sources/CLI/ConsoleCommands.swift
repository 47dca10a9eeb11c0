import Console
import Engine
import Foundation
import Headless
import Knobs
import Metrics
import Synchronization

/// The engine's run session as the console sees it.
final class ConsoleSessionAdapter: ConsoleSession {
    let session: RunSession
    let title: String

    init(_ session: RunSession) {
        self.session = session
        title = "\(session.targetDescription) · profile \(session.profile.name)"
    }

    var latestSnapshot: Snapshot? { session.latestSnapshot }
    var knobs: KnobRegistry? { session.knobs }
    var isFinished: Bool { session.isFinished }
    func togglePause() { session.togglePause() }
    func adjustRate(by factor: Double) { session.adjustRate(by: factor) }
    func adjustUsers(by delta: Int) { session.adjustUsers(by: delta) }
    func resetStatistics() { session.resetStatistics() }
    func applyPreset(_ preset: KnobPreset) { session.applyPreset(preset, source: "key") }
}

/// The commands that draw the console: live (`dyno [PROFILE]`) or one frame of a headless run (`dyno screenshot`).
/// They join Engine (the run) and Console (the drawing), which know nothing of each other.
public enum ConsoleCommands {
    /// `dyno [PROFILE]`: the console on a live run.
    public static func console(_ o: Commands.RunOptions) -> Int32 {
        // Refuse before seeding or starting anything when there is no terminal to draw on.
        guard isatty(1) == 1, isatty(0) == 1 else {
            writeError(ConsoleApp.notATerminalMessage)
            return 2
        }
        let profile: Profile
        do { profile = try Commands.resolveProfile(o, headless: false) } catch {
            writeError("dyno: \(error)")
            return 2
        }
        // An external target is checked first: a wrong URL is explained here, not shown as a wall of errors.
        guard Commands.preflight(profile, quiet: true) else { return 2 }
        let internalErrors = InternalErrorCollector()
        let built: BuiltRun
        do {
            built = try RunBuilder.build(profile: profile, progress: { writeError($0) })
            // The console runs until the user quits and reports nothing per second: an hour is plenty.
            built.session.retainSamples(atMost: 3600)
            built.session.observeSnapshots { internalErrors.ingest($0) }
            try built.session.start()
        } catch {
            writeError("dyno: \(error)")
            return 2
        }
        let code = ConsoleApp.run(session: ConsoleSessionAdapter(built.session),
                                  options: ConsoleOptions(framesPerSecond: o.fps, color: !o.noColor))
        built.shutdown()
        // The terminal is ours again: say where the backend's internal errors went, if there were any.
        let directory = o.reportDirectory ?? Commands.defaultReportDirectory(profile.name)
        do {
            if let log = try internalErrors.write(into: directory) {
                writeError("dyno: the backend logged \(internalErrors.count) internal error(s): \(log)")
            }
        } catch {
            writeError("dyno: cannot write \(InternalErrorCollector.fileName) into \(directory): \(error.localizedDescription)")
        }
        return code
    }

    /// `dyno screenshot PROFILE --out FILE`: a headless run for `afterSeconds`, then one console frame to a file.
    public static func screenshot(_ o: Commands.RunOptions, out: String, afterSeconds: Double, width: Int, height: Int) -> Int32 {
        var profile: Profile
        do { profile = try Commands.resolveProfile(o, headless: false) } catch {
            writeError("dyno screenshot: \(error)")
            return 2
        }
        profile.durationSeconds = max(0.5, afterSeconds - profile.warmupSeconds)
        let built: BuiltRun
        do {
            built = try RunBuilder.build(profile: profile, progress: { line in if !o.quiet { writeError(line) } })
        } catch {
            writeError("dyno screenshot: \(error)")
            return 2
        }
        defer { built.shutdown() }
        let adapter = ConsoleSessionAdapter(built.session)
        let model = Mutex(ConsoleModel(title: adapter.title))
        // Every tick goes into the model, as the live console would see it.
        built.session.observeSnapshots { snapshot in model.withLock { $0.ingest(snapshot) } }
        do { try built.session.start() } catch {
            writeError("dyno screenshot: \(error)")
            return 2
        }
        built.session.waitUntilFinished()
        do {
            try ConsoleScreenshot.write(model.withLock { $0 }, knobs: built.session.knobs, to: out, width: width, height: height)
        } catch {
            writeError("dyno screenshot: \(error)")
            return 2
        }
        print("screenshot: \(out)")
        return 0
    }
}
