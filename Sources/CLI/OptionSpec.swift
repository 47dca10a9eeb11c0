import Headless
import Engine
import Headless

/// Bad command-line usage: printed with the command's usage on stderr, exit code 2.
public struct UsageError: Error, Equatable, CustomStringConvertible {
    public let message: String
    /// The command whose usage is shown (nil: the console, i.e. `dyno [PROFILE]`).
    public let command: String?
    public var description: String { message }
}

/// Everything the command line can set, filled in by the options of the command being parsed.
public struct CommandLineArguments: Sendable {
    public var profile: String? = nil
    public var overrides = RunOverrides()
    public var reportDirectory: String? = nil
    public var fps: Double = 10
    public var noColor = false
    public var quiet = false
    public var outFile: String? = nil
    public var afterSeconds: Double = 5
    public var width = 160
    public var height = 48
    public var host = "127.0.0.1"
    public var port = 8080
    /// `dyno capacity`.
    public var serviceLevel = ServiceLevel()
    public var startRate: Double = 50
    public var maxRate: Double = 100_000
    public var stepSeconds: Double = 10
    public var settleSeconds: Double = 2
    /// `dyno bench`.
    public var bench = BenchCommand.Options()
    public var list = false
    /// Every positional argument (`compare` and `merge` take several; `profile` is the first).
    public var positionals: [String] = []
    /// `dyno compare --threshold`.
    public var regressionThresholds = RegressionThresholds()
    /// `dyno run --start-at`: when to start (unix seconds).
    public var startAt: Double? = nil
    /// `dyno verify`.
    public var verify = VerifyCommand.Options()
    /// `dyno soak`.
    public var soakCheckEverySeconds: Double = 60
    public init() {}
}

/// One command-line option, declared once: the parser reads it and the usage text is rendered from it.
public struct OptionSpec: Sendable {
    /// Canonical name first ("--quiet"), then aliases ("-q").
    public let names: [String]
    /// The value's placeholder in usage ("N", "D", "URL"); nil for a switch that takes no value.
    public let valueName: String?
    public let help: String
    /// Shown in usage as "(default …)"; nil when there is none worth saying.
    public let defaultText: String?
    /// Checks the value and stores it; throws the reason, without the flag (the parser prefixes it).
    let apply: @Sendable (String, inout CommandLineArguments) throws(OptionValueError) -> Void

    public var name: String { names[0] }

    init(_ names: [String], _ valueName: String?, _ help: String, defaultText: String? = nil,
         apply: @escaping @Sendable (String, inout CommandLineArguments) throws(OptionValueError) -> Void) {
        self.names = names
        self.valueName = valueName
        self.help = help
        self.defaultText = defaultText
        self.apply = apply
    }
}

/// Why an option's value was refused ("expected a whole number 1…64, got \"0\""); the parser names the flag.
public struct OptionValueError: Error {
    let message: String
    init(_ message: String) { self.message = message }
    static func expected(_ what: String, got text: String) -> OptionValueError {
        OptionValueError("expected \(what), got \"\(text)\"")
    }
}

// MARK: Value kinds: each declares how its text is checked, so no option parses by hand.

extension OptionSpec {
    /// A switch: present or not (`--quiet`); `--quiet=x` is refused.
    static func toggle(_ names: [String], help: String,
                       set: @escaping @Sendable (inout CommandLineArguments) -> Void) -> OptionSpec {
        OptionSpec(names, nil, help) { _, args in set(&args) }
    }

    /// Free text, optionally checked by `check` (returns what was expected, or nil when fine).
    static func text(_ name: String, _ valueName: String, help: String, defaultText: String? = nil,
                     check: @escaping @Sendable (String) -> String? = { _ in nil },
                     set: @escaping @Sendable (inout CommandLineArguments, String) -> Void) -> OptionSpec {
        OptionSpec([name], valueName, help, defaultText: defaultText) { text, args throws(OptionValueError) in
            if let expected = check(text) { throw .expected(expected, got: text) }
            set(&args, text)
        }
    }

    /// A finite decimal number in `min...max`.
    static func number(_ name: String, _ valueName: String = "N", min: Double, max: Double? = nil, help: String,
                       defaultText: String? = nil,
                       set: @escaping @Sendable (inout CommandLineArguments, Double) -> Void) -> OptionSpec {
        let what = max.map { "a number from \(Self.plain(min)) to \(Self.plain($0))" } ?? "a number ≥ \(Self.plain(min))"
        return OptionSpec([name], valueName, help, defaultText: defaultText) { text, args throws(OptionValueError) in
            guard let n = Double(text), n.isFinite, n >= min, n <= (max ?? .infinity) else { throw .expected(what, got: text) }
            set(&args, n)
        }
    }

    /// A whole number in `range`.
    static func integer(_ name: String, _ valueName: String = "N", range: ClosedRange<Int>, help: String,
                        defaultText: String? = nil,
                        set: @escaping @Sendable (inout CommandLineArguments, Int) -> Void) -> OptionSpec {
        OptionSpec([name], valueName, help, defaultText: defaultText) { text, args throws(OptionValueError) in
            guard let n = Int(text), range.contains(n) else {
                throw .expected("a whole number \(range.lowerBound)…\(range.upperBound)", got: text)
            }
            set(&args, n)
        }
    }

    /// A duration ("10s", "500ms", "2m"); `positive` refuses zero.
    static func duration(_ name: String, positive: Bool = false, help: String, defaultText: String? = nil,
                         set: @escaping @Sendable (inout CommandLineArguments, Double) -> Void) -> OptionSpec {
        OptionSpec([name], "D", help, defaultText: defaultText) { text, args throws(OptionValueError) in
            guard let seconds = parseDurationSeconds(text) else {
                throw .expected("a duration like 10s, 500ms or 2m", got: text)
            }
            if positive && seconds <= 0 { throw .expected("a duration greater than 0, like 5s or 500ms", got: text) }
            set(&args, seconds)
        }
    }

    /// One of a fixed set of words.
    static func choice(_ name: String, _ valueName: String, _ values: [String], help: String,
                       set: @escaping @Sendable (inout CommandLineArguments, String) -> Void) -> OptionSpec {
        OptionSpec([name], valueName, help) { text, args throws(OptionValueError) in
            guard values.contains(text) else { throw .expected(values.joined(separator: " or "), got: text) }
            set(&args, text)
        }
    }

    /// "1", "0.001", "2.5": numbers in messages without a trailing ".0".
    static func plain(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}
