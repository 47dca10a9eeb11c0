/// One subcommand as declared in `DynoCommandTable`: what it takes and what its `--help` says. Usage text is
/// rendered from here, and `CommandLineParser` accepts exactly the options listed here.
public struct CommandSpec: Sendable {
    /// "run", "serve", …; "console" for `dyno [PROFILE]` (also reachable as `dyno console`).
    public let name: String
    /// "dyno run [PROFILE] [options]".
    public let synopsis: String
    /// One line for the overview (`dyno help`).
    public let summary: String
    /// Paragraphs after the synopsis in `dyno help COMMAND`.
    public let description: String
    /// What the positional argument is ("PROFILE"), nil when the command takes none.
    public let positional: String?
    /// How many positional arguments it takes at most (`compare` two reports, `merge` any number).
    public var maxPositionals = 1
    public let groups: [OptionGroup]
    /// Text after the options (examples, keys).
    public let footer: String

    public struct OptionGroup: Sendable {
        public let title: String
        public let options: [OptionSpec]
    }

    public var options: [OptionSpec] { groups.flatMap(\.options) }

    /// The option `flag` names (canonical name or alias), if this command takes it.
    func option(named flag: String) -> OptionSpec? {
        options.first { $0.names.contains(flag) }
    }

    /// `dyno help COMMAND` / `dyno COMMAND --help`.
    public var usage: String {
        var lines = ["Usage: \(synopsis)", ""]
        if !description.isEmpty { lines += [description, ""] }
        for group in groups {
            lines.append(group.title + ":")
            lines += group.options.map(Self.line)
            lines.append("")
        }
        lines.append(Self.line(names: "-h, --help", help: "this help"))
        if !footer.isEmpty { lines += ["", footer] }
        return lines.joined(separator: "\n")
    }

    static func line(_ option: OptionSpec) -> String {
        let names = option.names.map { $0 + (option.valueName.map { " " + $0 } ?? "") }
        var help = option.help
        if let d = option.defaultText { help += " (default: \(d))" }
        return line(names: Array(Set(names)).count == 1 ? names[0] : names.joined(separator: ", "), help: help)
    }

    static func line(names: String, help: String) -> String {
        let left = "  " + names
        let column = 24
        return left.count < column ? left + String(repeating: " ", count: column - left.count) + help
                                   : left + "\n" + String(repeating: " ", count: column) + help
    }
}
