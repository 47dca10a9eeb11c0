/// What the command line asks for, before anything runs.
public enum ParsedCommand: Sendable {
    /// Print this on stdout and exit 0 (`dyno help`, `--help`, `--version`).
    case print(String)
    case console(CommandLineArguments)
    case run(CommandLineArguments)
    case check(CommandLineArguments)
    case serve(CommandLineArguments)
    case dependency(CommandLineArguments)
    case knobs
    case screenshot(CommandLineArguments)
    case capacity(CommandLineArguments)
    case bench(CommandLineArguments)
    case compare(CommandLineArguments)
    case merge(CommandLineArguments)
    case verify(CommandLineArguments)
    case soak(CommandLineArguments)
}

/// Reads `dyno`'s arguments against `DynoCommandTable`: flags as `--flag value` or `--flag=value`, at most one
/// positional argument where the command takes one (more where its spec says so). Every refusal is a `UsageError` naming the flag.
public enum CommandLineParser {
    public static func parse(_ arguments: [String]) throws(UsageError) -> ParsedCommand {
        var args = arguments[...]
        var spec = DynoCommandTable.console
        if let first = args.first {
            if first == "help" {
                let topic = args.dropFirst().first
                return .print(topic.flatMap(DynoCommandTable.command(named:))?.usage ?? DynoCommandTable.overview)
            }
            if let command = DynoCommandTable.command(named: first) {
                spec = command
                args = args.dropFirst()
            }
        }
        func fail(_ message: String) -> UsageError { UsageError(message: message, command: spec.name) }

        var parsed = CommandLineArguments()
        var positionals: [String] = []
        while let arg = args.popFirst() {
            if arg == "-h" || arg == "--help" { return .print(spec.usage) }
            if arg == "--version" { return .print(DynoCommandTable.version) }
            guard arg.hasPrefix("-"), arg.count > 1 else {
                guard let what = spec.positional else { throw fail("unexpected argument \"\(arg)\"") }
                if positionals.count >= spec.maxPositionals {
                    throw fail("unexpected argument \"\(arg)\" (a \(what.lowercased()) was already given: "
                               + positionals.joined(separator: " ") + ")")
                }
                positionals.append(arg)
                continue
            }
            var flag = arg
            var inline: String? = nil
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                flag = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            guard let option = spec.option(named: flag) else { throw fail("unknown option \(flag)") }
            let value: String
            if option.valueName == nil {
                if inline != nil { throw fail("\(flag) takes no value") }
                value = ""
            } else if let inline {
                value = inline
            } else if let next = args.popFirst() {
                value = next
            } else {
                throw fail("\(flag) needs a value (\(option.valueName!))")
            }
            do throws(OptionValueError) { try option.apply(value, &parsed) } catch { throw fail("\(flag): \(error.message)") }
        }
        parsed.profile = positionals.first
        parsed.positionals = positionals
        if parsed.overrides.rate != nil && parsed.overrides.users != nil {
            throw fail("--rate (open model) and --users (closed model) exclude each other")
        }
        switch spec.name {
        case "run": return .run(parsed)
        case "check": return .check(parsed)
        case "serve": return .serve(parsed)
        case "dependency": return .dependency(parsed)
        case "knobs": return .knobs
        case "capacity": return .capacity(parsed)
        case "bench": return .bench(parsed)
        case "verify": return .verify(parsed)
        case "soak": return .soak(parsed)
        case "compare":
            guard positionals.count == 2 else { throw fail("compare needs two reports: A.json (the baseline) and B.json") }
            return .compare(parsed)
        case "merge":
            guard positionals.count >= 2 else { throw fail("merge needs at least two reports") }
            guard parsed.outFile != nil else { throw fail("merge needs --out FILE.json") }
            return .merge(parsed)
        case "screenshot":
            guard parsed.profile != nil else { throw fail("screenshot needs a PROFILE") }
            guard parsed.outFile != nil else { throw fail("screenshot needs --out FILE.svg or FILE.txt") }
            return .screenshot(parsed)
        default: return .console(parsed)
        }
    }
}
