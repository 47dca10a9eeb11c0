// dyno: argument parsing and dispatch only; the work lives in the Headless, Console and Engine libraries.
import Engine
import Headless
#if canImport(Glibc)
import Glibc
#endif

import Foundation

func writeError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// Parses the command line into a command and runs it; returns the exit code.
func main(_ arguments: [String]) -> Int32 {
    var args = arguments
    var command: String? = nil
    if let first = args.first, ["run", "serve", "knobs", "screenshot", "help", "console"].contains(first) {
        command = first
        args.removeFirst()
    }
    do {
        switch command {
        case "help":
            print(Usage.text(for: args.first))
            return 0
        case "serve":
            return try parseServe(args)
        case "knobs":
            var r = ArgumentReader(args, command: "knobs")
            while let arg = r.next() {
                if arg == "-h" || arg == "--help" { print(Usage.knobs); return 0 }
                throw r.fail("unexpected argument \"\(arg)\"")
            }
            print(Commands.knobsListing())
            return 0
        default:
            return try parseRunLike(args, command: command)
        }
    } catch let error as UsageError {
        writeError("dyno\(error.command.map { " \($0)" } ?? ""): \(error.message)")
        writeError(Usage.text(for: error.command == nil ? "console" : error.command))
        return 2
    } catch {
        writeError("dyno: \(error)")
        return 2
    }
}

func parseRunLike(_ args: [String], command: String?) throws(UsageError) -> Int32 {
    var r = ArgumentReader(args, command: command)
    var a = RunArguments()
    while let arg = r.next() {
        let (flag, inline) = splitFlag(arg)
        if flag == "-h" || flag == "--help" {
            print(Usage.text(for: command ?? "console"))
            return 0
        }
        if flag == "--version" { print(Usage.version); return 0 }
        if try readRunFlag(flag, inline, &r, &a) { continue }
        if command == "screenshot" {
            switch flag {
            case "--out": a.outFile = try r.value(for: flag, inline: inline); continue
            case "--after":
                let v = try r.value(for: flag, inline: inline)
                guard let d = parseDurationSeconds(v), d > 0 else { throw r.fail("--after: expected a duration like 5s, got \"\(v)\"") }
                a.afterSeconds = d; continue
            case "--size":
                let v = try r.value(for: flag, inline: inline)
                let parts = v.lowercased().split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2, parts[0] >= 20, parts[1] >= 5, parts[0] <= 1000, parts[1] <= 500 else {
                    throw r.fail("--size: expected WIDTHxHEIGHT like 160x48, got \"\(v)\"")
                }
                a.size = (parts[0], parts[1]); continue
            default: break
            }
        }
        if arg.hasPrefix("-") { throw r.fail("unknown option \(arg)") }
        if a.profile != nil { throw r.fail("unexpected argument \"\(arg)\" (a profile was already given: \(a.profile!))") }
        a.profile = arg
    }
    let options = Commands.RunOptions(profile: a.profile, overrides: a.overrides, reportDirectory: a.reportDirectory,
                                      quiet: a.quiet, fps: a.fps, noColor: a.noColor)
    switch command {
    case "run":
        return Commands.run(options)
    case "screenshot":
        guard a.profile != nil else { throw r.fail("screenshot needs a PROFILE") }
        guard let out = a.outFile else { throw r.fail("screenshot needs --out FILE.svg or FILE.txt") }
        guard out.hasSuffix(".svg") || out.hasSuffix(".txt") else { throw r.fail("--out: expected a .svg or .txt file, got \"\(out)\"") }
        return Commands.screenshot(options, out: out, afterSeconds: a.afterSeconds, width: a.size.0, height: a.size.1)
    default:
        return Commands.console(options)
    }
}

func parseServe(_ args: [String]) throws(UsageError) -> Int32 {
    var r = ArgumentReader(args, command: "serve")
    var options = Commands.ServeOptions()
    var a = RunArguments()
    while let arg = r.next() {
        let (flag, inline) = splitFlag(arg)
        switch flag {
        case "-h", "--help": print(Usage.serve); return 0
        case "--port":
            let v = try r.value(for: flag, inline: inline)
            guard let p = Int(v), (0...65535).contains(p) else { throw r.fail("--port: expected 0…65535, got \"\(v)\"") }
            options.port = p
        case "--host": options.host = try r.value(for: flag, inline: inline)
        case "--data", "--scale", "--preset", "--knob", "--threads":
            _ = try readRunFlag(flag, inline, &r, &a)
        default:
            throw r.fail(arg.hasPrefix("-") ? "unknown option \(arg)" : "unexpected argument \"\(arg)\"")
        }
    }
    if let d = a.overrides.dataDirectory { options.dataDirectory = d }
    if let s = a.overrides.scale { options.scale = s }
    options.preset = a.overrides.preset
    options.knobs = a.overrides.knobs
    if let t = a.overrides.threads { options.threads = t }
    return Commands.serve(options)
}

exit(main(Array(CommandLine.arguments.dropFirst())))
