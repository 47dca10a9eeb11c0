import Testing
@testable import CLI
import Console
import DemoBackend
import Engine

/// `dyno`'s command line: every command and option comes from `DynoCommandTable`; these check what users type.
struct CommandLineTests {
    /// Runs `DynoCLI.main` without running any command's work (only usage errors and help are exercised here).
    private func dyno(_ args: String...) -> (code: Int32, out: String, err: String) {
        var out = "", err = ""
        let code = DynoCLI.main(args, standardOutput: { out += $0 + "\n" }, standardError: { err += $0 + "\n" })
        return (code, out, err)
    }

    private func parse(_ args: String...) throws(UsageError) -> ParsedCommand {
        try CommandLineParser.parse(args)
    }

    private func refusal(_ args: String...) -> UsageError? {
        do { _ = try CommandLineParser.parse(args); return nil } catch { return error }
    }

    @Test func unknownFlagExitsTwoWithTheCommandsUsageOnStderr() {
        for (command, usageLine) in [("run", "Usage: dyno run"), ("serve", "Usage: dyno serve"),
                                     ("knobs", "Usage: dyno knobs"), ("screenshot", "Usage: dyno screenshot")] {
            let r = dyno(command, "--bogus")
            #expect(r.code == 2)
            #expect(r.out.isEmpty)
            #expect(r.err.contains("dyno \(command): unknown option --bogus"))
            #expect(r.err.contains(usageLine))
        }
        let console = dyno("--bogus")
        #expect(console.code == 2)
        #expect(console.err.hasPrefix("dyno: unknown option --bogus"))
        #expect(console.err.contains("Usage: dyno [PROFILE] [options]"))
    }

    @Test func flagsOfOtherCommandsAreRefused() {
        #expect(refusal("serve", "--rate", "10")?.message == "unknown option --rate")
        #expect(refusal("run", "--port", "80")?.message == "unknown option --port")
        #expect(refusal("knobs", "extra")?.message == "unexpected argument \"extra\"")
    }

    @Test func helpWorksOnEveryCommandAndListsEveryOption() {
        for command in DynoCommandTable.commands {
            let viaFlag = dyno(command.name, "--help")
            #expect(viaFlag.code == 0)
            #expect(viaFlag.err.isEmpty)
            #expect(viaFlag.out == dyno("help", command.name).out)
            for option in command.options {
                #expect(viaFlag.out.contains(option.name), "\(command.name) --help misses \(option.name)")
            }
        }
        let overview = dyno("help")
        #expect(overview.code == 0)
        for command in DynoCommandTable.commands { #expect(overview.out.contains(command.synopsis)) }
        #expect(dyno("-h").out.contains("Usage: dyno [PROFILE] [options]"))
        #expect(dyno("--version").out == DynoCommandTable.version + "\n")
    }

    /// One bad value per option that checks its value; each refusal names the flag and echoes the value.
    @Test(arguments: [
        (["run", "--rate", "fast"], "--rate"), (["run", "--rate", "0"], "--rate"), (["run", "--rate", "inf"], "--rate"),
        (["run", "--users", "0"], "--users"), (["run", "--users", "2.5"], "--users"),
        (["run", "--connections", "10001"], "--connections"), (["run", "--threads", "65"], "--threads"),
        (["run", "--duration", "soon"], "--duration"), (["run", "--warmup", "-1s"], "--warmup"),
        (["run", "--timeout", "0s"], "--timeout"), (["run", "--timeout", "0"], "--timeout"),
        (["run", "--preset", "fast"], "--preset"), (["run", "--knob", "cache"], "--knob"),
        (["run", "--knob", "=on"], "--knob"), (["run", "--knob", "cache="], "--knob"),
        (["run", "--target", "ftp://x"], "--target"), (["run", "--path", "api"], "--path"),
        (["run", "--scale", "0"], "--scale"), (["--fps", "0"], "--fps"), (["--fps", "61"], "--fps"),
        (["serve", "--port", "65536"], "--port"), (["serve", "--port", "http"], "--port"),
        (["serve", "--threads", "0"], "--threads"), (["serve", "--knob", "pool"], "--knob"),
        (["screenshot", "default", "--out", "frame.png"], "--out"), (["screenshot", "default", "--after", "0s"], "--after"),
        (["screenshot", "default", "--size", "10x10"], "--size"), (["screenshot", "default", "--size", "wide"], "--size"),
    ])
    func badValuesNameTheFlag(args: [String], flag: String) {
        do {
            _ = try CommandLineParser.parse(args)
            Issue.record("\(args) was accepted")
        } catch {
            #expect(error.message.hasPrefix("\(flag): "), "\(error.message)")
            #expect(error.message.contains(flag == "--target" ? "ftp://" : "\"\(args.last!)\""), "\(error.message)")
        }
    }

    @Test func timeoutOfZeroNamesTheFlagNotTheLoadPlanField() {
        let r = dyno("run", "--timeout", "0s")
        #expect(r.code == 2)
        #expect(r.err.contains("--timeout: expected a duration greater than 0"))
        #expect(!r.err.contains("requestTimeout"))
    }

    @Test func missingValuesAreNamed() {
        #expect(refusal("run", "--rate")?.message == "--rate needs a value (N)")
        #expect(refusal("serve", "--port")?.message == "--port needs a value (N)")
        #expect(refusal("screenshot", "default", "--out")?.message == "--out needs a value (FILE)")
        #expect(refusal("run", "--quiet=yes")?.message == "--quiet takes no value")
    }

    @Test func screenshotNeedsAProfileAndAnOutFile() {
        #expect(refusal("screenshot", "--out", "a.svg")?.message == "screenshot needs a PROFILE")
        #expect(refusal("screenshot", "default")?.message == "screenshot needs --out FILE.svg or FILE.txt")
    }

    @Test func openAndClosedModelsExcludeEachOther() {
        #expect(refusal("run", "--rate", "10", "--users", "2")?.message
                == "--rate (open model) and --users (closed model) exclude each other")
    }

    @Test func oneProfileOnly() {
        #expect(refusal("run", "a", "b")?.message == "unexpected argument \"b\" (a profile was already given: a)")
    }

    @Test func valuesReachTheRunOverrides() throws {
        guard case .run(let a) = try parse("run", "ci", "--rate=250", "--duration", "2m", "--timeout", "500ms",
                                           "--knob", "cache=on", "--knob", "pool_size=4", "--path", "/a", "--path", "/b",
                                           "--target", "http://127.0.0.1:9/base", "--report-dir", "out", "-q") else {
            Issue.record("not a run"); return
        }
        #expect(a.profile == "ci")
        #expect(a.overrides.rate == 250)
        #expect(a.overrides.durationSeconds == 120)
        #expect(a.overrides.timeoutSeconds == 0.5)
        #expect(a.overrides.knobs == ["cache": "on", "pool_size": "4"])
        #expect(a.overrides.paths == ["/a", "/b"])
        #expect(a.overrides.target == .url(host: "127.0.0.1", port: 9, basePath: "/base"))
        #expect(a.reportDirectory == "out")
        #expect(a.quiet)
    }

    @Test func serveAndScreenshotValues() throws {
        guard case .serve(let s) = try parse("serve", "--port", "0", "--host", "0.0.0.0", "--threads", "3",
                                             "--preset", "naive", "--data", "/tmp/d") else {
            Issue.record("not serve"); return
        }
        #expect(s.port == 0 && s.host == "0.0.0.0" && s.overrides.threads == 3)
        #expect(s.overrides.preset == .naive && s.overrides.dataDirectory == "/tmp/d")
        guard case .screenshot(let shot) = try parse("screenshot", "default", "--out", "f.svg", "--size", "100X30",
                                                      "--after", "2s") else {
            Issue.record("not screenshot"); return
        }
        #expect(shot.outFile == "f.svg" && shot.width == 100 && shot.height == 30 && shot.afterSeconds == 2)
    }

    @Test func consoleIsTheDefaultCommand() throws {
        guard case .console(let a) = try parse("steady", "--fps", "20", "--no-color") else {
            Issue.record("not the console"); return
        }
        #expect(a.profile == "steady" && a.fps == 20 && a.noColor)
        guard case .console = try parse("console") else { Issue.record("`dyno console` is the console"); return }
    }

    @Test func everyOptionNameIsUniqueWithinItsCommand() {
        for command in DynoCommandTable.commands {
            let names = command.options.flatMap(\.names)
            #expect(Set(names).count == names.count, "\(command.name) declares a flag twice")
        }
    }
}

/// The console's keys and the knobs' keys come from two places (Console and the knob list); a knob whose key, or
/// the upper case that steps it back, is taken by the console could not be turned from the keyboard.
@Suite struct KnobKeyTests {
    @Test func noKnobKeyCollidesWithAConsoleKeyOrAnotherKnob() {
        var seen: [Character: String] = [:]
        for d in DemoBackend.knobDefinitions {
            guard let key = d.key else { continue }
            for k in Set([key, Character(key.uppercased())]) {
                #expect(!ConsoleKeys.reserved.contains(k), "knob \(d.id): key \(k) is a console key")
                #expect(seen[k] == nil, "knob \(d.id): key \(k) is also \(seen[k] ?? "")'s")
                seen[k] = d.id
            }
        }
        #expect(!seen.isEmpty)
    }
}
