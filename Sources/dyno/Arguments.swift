import Engine
import Knobs

/// Bad command-line usage: printed with the command's usage on stderr, exit code 2.
struct UsageError: Error {
    let message: String
    let command: String?
}

/// A tiny hand-written argument reader: flags may be `--flag value` or `--flag=value`.
struct ArgumentReader {
    private var args: [String]
    let command: String?

    init(_ args: [String], command: String?) {
        self.args = args
        self.command = command
    }

    var isEmpty: Bool { args.isEmpty }

    mutating func next() -> String? { args.isEmpty ? nil : args.removeFirst() }

    /// The value of a flag just read (`--rate 100` or `--rate=100`).
    mutating func value(for flag: String, inline: String?) throws(UsageError) -> String {
        if let inline { return inline }
        guard let v = next() else { throw UsageError(message: "\(flag) needs a value", command: command) }
        return v
    }

    func fail(_ message: String) -> UsageError { UsageError(message: message, command: command) }
}

/// Splits "--flag=value" into ("--flag", "value").
func splitFlag(_ arg: String) -> (String, String?) {
    guard arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") else { return (arg, nil) }
    return (String(arg[..<eq]), String(arg[arg.index(after: eq)...]))
}

/// Options shared by the console, `run` and `screenshot`.
struct RunArguments {
    var profile: String? = nil
    var overrides = RunOverrides()
    var reportDirectory: String? = nil
    var fps: Double = 10
    var noColor = false
    var outFile: String? = nil
    var afterSeconds: Double = 5
    var size: (Int, Int) = (160, 48)
    var quiet = false
}

/// Reads one run-style flag into `a`. Returns false when `flag` is not a run flag.
func readRunFlag(_ flag: String, _ inline: String?, _ r: inout ArgumentReader, _ a: inout RunArguments) throws(UsageError) -> Bool {
    func number(_ text: String, min: Double) throws(UsageError) -> Double {
        guard let n = Double(text), n.isFinite, n >= min else { throw r.fail("\(flag): expected a number ≥ \(min), got \"\(text)\"") }
        return n
    }
    func integer(_ text: String, min: Int, max: Int = 1_000_000) throws(UsageError) -> Int {
        guard let n = Int(text), n >= min, n <= max else { throw r.fail("\(flag): expected a whole number \(min)…\(max), got \"\(text)\"") }
        return n
    }
    func duration(_ text: String) throws(UsageError) -> Double {
        guard let d = parseDurationSeconds(text) else { throw r.fail("\(flag): expected a duration like 10s, 500ms or 2m, got \"\(text)\"") }
        return d
    }
    switch flag {
    case "--target":
        let text = try r.value(for: flag, inline: inline)
        do { a.overrides.target = try TargetSpec.parse(text) } catch { throw r.fail("--target: \(error.message)") }
    case "--path":
        let p = try r.value(for: flag, inline: inline)
        guard p.hasPrefix("/") else { throw r.fail("--path: expected a path starting with /, got \"\(p)\"") }
        a.overrides.paths.append(p)
    case "--rate": a.overrides.rate = try number(try r.value(for: flag, inline: inline), min: 0.001)
    case "--users": a.overrides.users = try integer(try r.value(for: flag, inline: inline), min: 1, max: 10_000)
    case "--connections": a.overrides.connections = try integer(try r.value(for: flag, inline: inline), min: 1, max: 10_000)
    case "--threads": a.overrides.threads = try integer(try r.value(for: flag, inline: inline), min: 1, max: 64)
    case "--duration": a.overrides.durationSeconds = try duration(try r.value(for: flag, inline: inline))
    case "--warmup": a.overrides.warmupSeconds = try duration(try r.value(for: flag, inline: inline))
    case "--timeout": a.overrides.timeoutSeconds = try duration(try r.value(for: flag, inline: inline))
    case "--preset":
        let v = try r.value(for: flag, inline: inline)
        guard let p = KnobPreset(rawValue: v) else { throw r.fail("--preset: expected naive or optimized, got \"\(v)\"") }
        a.overrides.preset = p
    case "--knob":
        let v = try r.value(for: flag, inline: inline)
        let parts = v.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw r.fail("--knob: expected id=value, got \"\(v)\"") }
        a.overrides.knobs[parts[0]] = parts[1]
    case "--data": a.overrides.dataDirectory = try r.value(for: flag, inline: inline)
    case "--scale": a.overrides.scale = try number(try r.value(for: flag, inline: inline), min: 0.0001)
    case "--report-dir": a.reportDirectory = try r.value(for: flag, inline: inline)
    case "--fps": a.fps = try number(try r.value(for: flag, inline: inline), min: 1)
        if a.fps > 60 { throw r.fail("--fps: expected at most 60") }
    case "--no-color": a.noColor = true
    case "--quiet", "-q": a.quiet = true
    default: return false
    }
    if (a.overrides.rate != nil) && (a.overrides.users != nil) {
        throw r.fail("--rate (open model) and --users (closed model) exclude each other")
    }
    return true
}
