import Foundation
import Headless

/// The `dyno` executable's logic: parse with `CommandLineParser`, run the command, return the exit code.
public enum DynoCLI {
    /// Runs `dyno` with `arguments` (without the program name). Usage errors go to `standardError` with the
    /// command's usage, exit 2; `--help` and `help` print on `standardOutput`, exit 0.
    public static func main(_ arguments: [String],
                            standardOutput: (String) -> Void = { print($0) },
                            standardError: (String) -> Void = { writeError($0) }) -> Int32 {
        let command: ParsedCommand
        do {
            command = try CommandLineParser.parse(arguments)
        } catch {
            let name = error.command == "console" ? "" : " \(error.command ?? "")"
            standardError("dyno\(name): \(error.message)")
            standardError((error.command.flatMap(DynoCommandTable.command(named:)) ?? DynoCommandTable.console).usage)
            return 2
        }
        switch command {
        case .print(let text):
            standardOutput(text)
            return 0
        case .knobs:
            standardOutput(Commands.knobsListing())
            return 0
        case .run(let a):
            return Commands.run(runOptions(a))
        case .check(let a):
            return Commands.check(runOptions(a))
        case .console(let a):
            return ConsoleCommands.console(runOptions(a))
        case .screenshot(let a):
            return ConsoleCommands.screenshot(runOptions(a), out: a.outFile ?? "", afterSeconds: a.afterSeconds,
                                       width: a.width, height: a.height)
        case .capacity(let a):
            var options = CapacityCommand.Options(run: runOptions(a))
            options.level = a.serviceLevel
            options.startRate = a.startRate
            options.maxRate = a.maxRate
            options.stepSeconds = a.stepSeconds
            options.settleSeconds = a.settleSeconds
            return CapacityCommand.run(options)
        case .bench(let a):
            if a.list {
                standardOutput(BenchCommand.listing)
                return 0
            }
            return BenchCommand.run(a.bench)
        case .verify(let a):
            var options = a.verify
            options.reportDirectory = a.reportDirectory
            options.dataDirectory = a.overrides.dataDirectory
            options.scale = a.overrides.scale
            options.quiet = a.quiet
            return VerifyCommand.run(options)
        case .soak(let a):
            var options = SoakCommand.Options(run: runOptions(a))
            options.durationSeconds = a.overrides.durationSeconds ?? 600
            options.checkEverySeconds = a.soakCheckEverySeconds
            return SoakCommand.run(options)
        case .dependency(let a):
            return Commands.dependency(host: a.host, port: a.port, scale: a.overrides.scale ?? 1, knobs: a.overrides.knobs)
        case .compare(let a):
            return CompareReport.command(baseline: a.positionals[0], candidate: a.positionals[1],
                                         thresholds: a.regressionThresholds, out: a.outFile)
        case .merge(let a):
            return ReportMerge.command(paths: a.positionals, out: a.outFile ?? "")
        case .serve(let a):
            var options = Commands.ServeOptions()
            options.host = a.host
            options.port = a.port
            if let d = a.overrides.dataDirectory { options.dataDirectory = d }
            if let s = a.overrides.scale { options.scale = s }
            options.threads = a.overrides.threads
            options.preset = a.overrides.preset
            options.knobs = a.overrides.knobs
            return Commands.serve(options)
        }
    }

    static func runOptions(_ a: CommandLineArguments) -> Commands.RunOptions {
        var o = Commands.RunOptions(profile: a.profile, overrides: a.overrides, reportDirectory: a.reportDirectory,
                                    quiet: a.quiet, fps: a.fps, noColor: a.noColor)
        o.startAt = a.startAt
        return o
    }
}
