import Foundation
import Engine
import Headless
import Knobs

/// THE table of `dyno`'s commands and their options. Parsing (`CommandLineParser`) and every usage text are
/// derived from it: to add a flag, add an `OptionSpec` to the command's group here, and nothing else.
public enum DynoCommandTable {
    public static let version = "dyno 0.1.0"

    public static let commands: [CommandSpec] = [console, run, check, serve, dependency, knobs, screenshot, capacity, bench,
                                                 compare, merge, verify, soak]

    public static func command(named name: String) -> CommandSpec? {
        commands.first { $0.name == name }
    }

    /// `dyno help`: every command's synopsis and summary.
    public static var overview: String {
        var lines = ["dyno — a dynamometer for backends: put a real backend under real load, watch it live, turn the knobs.",
                     "", "Usage:"]
        let column = 36
        for command in commands + [help] {
            let left = "  " + command.synopsis
            lines.append(left.count < column ? left + String(repeating: " ", count: column - left.count) + command.summary
                                             : left + "\n" + String(repeating: " ", count: column) + command.summary)
        }
        lines += ["",
                  "PROFILE is a file or a name from Profiles/ (default, steady, ramp, spike, ci, ...).",
                  "Run `dyno COMMAND --help` for a command's options. Exit codes: 0 ok, 1 threshold missed, 2 bad usage or input."]
        return lines.joined(separator: "\n")
    }

    // MARK: Option groups

    /// Options that override (or, without a profile, make up) the profile of a run.
    static let loadOptions = CommandSpec.OptionGroup(title: "Load options (override the profile)", options: [
        OptionSpec(["--target"], "URL", "\"embedded\" (default) or http://host:port[/base]") { text, a throws(OptionValueError) in
            do { a.overrides.target = try TargetSpec.parse(text) } catch let error as TargetSpecError { throw OptionValueError(error.message) } catch { throw OptionValueError("\(error)") }
        },
        .text("--api-prefix", "P", help: "what {{api}} in the profile's paths stands for (\"\" for a server without it; "
              + "a --target URL ending in /api already holds it)", defaultText: "/api",
              set: { a, v in a.overrides.apiPrefix = v }),
        .text("--metrics", "URL", help: "an external target's Prometheus endpoint, scraped every tick (RSS, requests and "
              + "durations by route)", check: { $0.hasPrefix("http://") ? nil : "an http:// URL" },
              set: { a, v in a.overrides.metricsURL = v }),
        .text("--path", "P", help: "GET path P (repeatable); replaces the profile's request mix, like wrk/oha",
              check: { $0.hasPrefix("/") ? nil : "a path starting with /" },
              set: { a, v in a.overrides.paths.append(v) }),
        .number("--rate", min: 0.001, help: "open model: N requests/s, whatever the responses do (coordinated-omission corrected)",
                set: { a, v in a.overrides.rate = v }),
        .integer("--users", range: 1...10_000, help: "closed model: N users, each waits for its response before the next request",
                 set: { a, v in a.overrides.users = v }),
        .integer("--connections", range: 1...10_000, help: "open model: at most N connections", defaultText: "64",
                 set: { a, v in a.overrides.connections = v }),
        .integer("--threads", range: 1...64, help: "load worker threads", defaultText: "number of cores",
                 set: { a, v in a.overrides.threads = v }),
        .duration("--duration", help: "measured duration, e.g. 10s, 2m", defaultText: "the profile's",
                  set: { a, v in a.overrides.durationSeconds = v }),
        .duration("--warmup", help: "discarded warm-up before measuring", set: { a, v in a.overrides.warmupSeconds = v }),
        .duration("--timeout", positive: true, help: "per-request timeout", defaultText: "5s",
                  set: { a, v in a.overrides.timeoutSeconds = v }),
        OptionSpec(["--no-gzip"], nil, "do not send Accept-Encoding: gzip (sent by default, like a browser; gzip "
                   + "bodies are inflated to count decoded bytes)") { _, a in a.overrides.acceptGzip = false },
        preset(help: "knobs preset: naive or optimized (embedded target)"),
        knob,
        data(help: "embedded backend's data directory"),
        scale(help: "embedded backend's data size (1.0 = 100,000 articles)"),
    ])

    static func preset(help: String) -> OptionSpec {
        .choice("--preset", "P", KnobPreset.allCases.map(\.rawValue), help: help,
                set: { a, v in a.overrides.preset = KnobPreset(rawValue: v) })
    }

    /// `--knob id=value`; the id and value are checked against the knob registry when the run or server starts.
    static let knob = OptionSpec(["--knob"], "ID=VALUE", "set one knob (repeatable), see `dyno knobs`") { text, a throws(OptionValueError) in
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .expected("id=value", got: text) }
        a.overrides.knobs[parts[0]] = parts[1]
    }

    static func data(help: String) -> OptionSpec {
        .text("--data", "DIR", help: help, defaultText: ".dyno", set: { a, v in a.overrides.dataDirectory = v })
    }

    static func scale(help: String) -> OptionSpec {
        .number("--scale", "X", min: 0.0001, help: help, set: { a, v in a.overrides.scale = v })
    }

    static let reportDirectory = OptionSpec.text(
        "--report-dir", "DIR", help: "write the report (and errors.log, if the backend logged internal errors) there",
        defaultText: "reports/<profile>-<time>", set: { a, v in a.reportDirectory = v })

    /// `--start-at TIME`: several load machines start one run together.
    static let startAt = OptionSpec(["--start-at"], "TIME",
                                    "start sending at TIME (ISO-8601 like 2026-12-05T12:00:00Z, or unix seconds); waits until then") {
        text, a throws(OptionValueError) in
        do throws(StartTimeError) { a.startAt = try StartTime.parse(text, now: Date().timeIntervalSince1970) } catch {
            throw OptionValueError(error.message)
        }
    }

    static let quiet = OptionSpec.toggle(["--quiet", "-q"], help: "no progress output") { $0.quiet = true }

    // MARK: Commands

    public static let console = CommandSpec(
        name: "console", synopsis: "dyno [PROFILE] [options]",
        summary: "open the console (default: the embedded demo, profile \"default\")",
        description: "Opens the console on PROFILE (default: \"default\" against the embedded demo backend).",
        positional: "PROFILE",
        groups: [loadOptions, .init(title: "Console options", options: [
            .number("--fps", min: 1, max: 60, help: "redraws per second", defaultText: "10", set: { a, v in a.fps = v }),
            .toggle(["--no-color"], help: "no colours (NO_COLOR in the environment does the same)") { $0.noColor = true },
            OptionSpec.text("--report-dir", "DIR", help: "where errors.log goes if the backend logged internal errors",
                            defaultText: "reports/<profile>-<time>", set: { a, v in a.reportDirectory = v }),
        ])],
        footer: "Keys: q quit · ? help · space pause · +/- rate · [/] users · Tab panels · r reset · m mark baseline · knob keys")

    public static let run = CommandSpec(
        name: "run", synopsis: "dyno run [PROFILE] [options]",
        summary: "headless run: progress, summary table, report.json; exit 1 if a threshold fails",
        description: """
        Runs a profile headless. With no PROFILE and no --path: the default Conduit mix against the embedded demo.
        Prints a live one-line progress on stderr (when it is a terminal), a summary table at the end, and writes
        report.json into --report-dir. Exit 0 when every threshold holds, 1 when one is missed, 2 on bad input.
        """,
        positional: "PROFILE",
        groups: [loadOptions, .init(title: "Output options", options: [reportDirectory, quiet, startAt])],
        footer: """
        Examples:
          swift run -c release dyno run Profiles/ci.json
          swift run -c release dyno run --target http://127.0.0.1:8080 --path / --users 64 --duration 10s
          swift run -c release dyno run --target http://127.0.0.1:8080 --path /api/tags --rate 2000 --duration 30s
        """)

    public static let check = CommandSpec(
        name: "check", synopsis: "dyno check [PROFILE] --target URL [options]",
        summary: "pre-flight: one request per route of the mix against a server, status and reason each",
        description: """
        Checks that the server at --target speaks the profile's API (default: the Conduit mix): the harvests, one
        session and one request per route, each printed with its status and a short reason, then what to try when
        the URL looks wrong. `dyno run` against a URL target runs the same check first.
        Exit 0 when every request answered as expected, 2 otherwise.
        """,
        positional: "PROFILE",
        groups: [loadOptions],
        footer: """
        Examples:
          swift run -c release dyno check --target http://127.0.0.1:8000/api
          swift run -c release dyno check --target http://127.0.0.1:3000 --api-prefix ""
        """)

    public static let serve = CommandSpec(
        name: "serve", synopsis: "dyno serve [--port N] [--data DIR] [options]",
        summary: "run only the demo backend (Conduit API) in the foreground",
        description: """
        Runs the demo backend (the RealWorld "Conduit" API on SQLite) in the foreground and prints its URL.
        Seeds the database on first start (deterministic). Ctrl-C or SIGTERM stops it cleanly.
        Internal errors (500s) are logged on stderr with the request id the client sees in the response body.
        """,
        positional: nil,
        groups: [.init(title: "Server options", options: [
            .integer("--port", range: 0...65535, help: "port; 0 picks a free one", defaultText: "8080", set: { a, v in a.port = v }),
            .text("--host", "ADDR", help: "address to bind", defaultText: "127.0.0.1", set: { a, v in a.host = v }),
            data(help: "data directory"),
            scale(help: "data size on first seed (1.0 = 100,000 articles)"),
            .integer("--threads", range: 1...64, help: "serving threads", defaultText: "number of cores",
                     set: { a, v in a.overrides.threads = v }),
            preset(help: "knobs preset: naive or optimized"),
            knob,
        ])],
        footer: "")

    public static let dependency = CommandSpec(
        name: "dependency", synopsis: "dyno dependency [--port N] [--knob dependency=FAULT] [options]",
        summary: "run only the flaky \"recommendations\" dependency, with its faults",
        description: """
        Runs the recommendations service the demo backend calls (GET /related/<articleID>, POST /spam-check) in the
        foreground, with the faults of the dependency knobs: --knob dependency=ok|slow|flaky|hang|reset|down,
        --knob dependency_latency_ms=N, --knob dependency_error_pct=N. Ctrl-C or SIGTERM stops it.
        """,
        positional: nil,
        groups: [.init(title: "Options", options: [
            .integer("--port", range: 0...65535, help: "port; 0 picks a free one", defaultText: "8080", set: { a, v in a.port = v }),
            .text("--host", "ADDR", help: "address to bind", defaultText: "127.0.0.1", set: { a, v in a.host = v }),
            scale(help: "related ids are drawn from 1...100,000 × X articles"),
            knob,
        ])],
        footer: "")

    public static let knobs = CommandSpec(
        name: "knobs", synopsis: "dyno knobs", summary: "list the knobs (id, values, key, what they change)",
        description: """
        Lists the demo backend's knobs: id, allowed values, default, naive and optimized values, console key.
        Set them with --preset/--knob, a profile's "preset"/"knobs"/"knobSchedule", the console keys, or
        PUT /debug/knobs on a running backend.
        """,
        positional: nil, groups: [], footer: "")

    public static let screenshot = CommandSpec(
        name: "screenshot", synopsis: "dyno screenshot PROFILE --out FILE.svg|.txt [--after 5s] [--size 160x48]",
        summary: "render one console frame of a headless run to a file",
        description: """
        Runs PROFILE headless for D, then renders one console frame (WxH cells) as SVG or plain text.
        """,
        positional: "PROFILE",
        groups: [.init(title: "Screenshot options", options: [
            .text("--out", "FILE", help: "where to write the frame: a .svg or .txt file",
                  check: { $0.hasSuffix(".svg") || $0.hasSuffix(".txt") ? nil : "a .svg or .txt file" },
                  set: { a, v in a.outFile = v }),
            .duration("--after", positive: true, help: "how long to run before the frame is taken", defaultText: "5s",
                      set: { a, v in a.afterSeconds = v }),
            OptionSpec(["--size"], "WxH", "frame size in cells", defaultText: "160x48") { text, a throws(OptionValueError) in
                let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2, (20...1000).contains(parts[0]), (5...500).contains(parts[1]) else {
                    throw .expected("WIDTHxHEIGHT like 160x48 (20…1000 x 5…500)", got: text)
                }
                a.width = parts[0]
                a.height = parts[1]
            },
            quiet,
        ]), loadOptions],
        footer: "")

    public static let capacity = CommandSpec(
        name: "capacity", synopsis: "dyno capacity [PROFILE] [--slo p99=50ms,errors=0.1%] [options]",
        summary: "find the highest arrival rate that meets a service level (the knee), and a pool size",
        description: """
        Offers PROFILE's mix as an open-model load, stepping the rate up (×2) until a step misses the service level,
        then bisecting between the last rate that met it and the first that did not (to 5%). Each step settles,
        then is measured on its own. Prints the rate-vs-p99 curve and the knee; against the embedded backend also
        a pool size from Little's law (rate × DB time per request). Writes capacity.json, summary.md, junit.xml,
        capacity.svg (the curve, knee marked) and report.html into --report-dir.
        Exit 0 when some rate meets the level, 1 when none does, 2 on bad input.
        """,
        positional: "PROFILE",
        groups: [.init(title: "Capacity options", options: [
            OptionSpec(["--slo"], "LEVEL", "service level: p99=D and/or errors=P% (comma-separated)",
                       defaultText: "p99=50ms,errors=0.1%") { text, a throws(OptionValueError) in
                do throws(ServiceLevelError) { a.serviceLevel = try ServiceLevel.parse(text) } catch { throw OptionValueError(error.message) }
            },
            .number("--start-rate", min: 1, help: "first rate tried, requests/s", defaultText: "50", set: { a, v in a.startRate = v }),
            .number("--max-rate", min: 1, help: "highest rate tried, requests/s", defaultText: "100000", set: { a, v in a.maxRate = v }),
            .duration("--step", positive: true, help: "measured time per rate", defaultText: "10s", set: { a, v in a.stepSeconds = v }),
            .duration("--settle", help: "unmeasured time after each rate change", defaultText: "2s", set: { a, v in a.settleSeconds = v }),
            reportDirectory, quiet,
        ]), loadOptions],
        footer: """
        Examples:
          swift run -c release dyno capacity --preset optimized --slo p99=50ms
          swift run -c release dyno capacity --target http://127.0.0.1:8080 --path /api/tags --slo p99=20ms,errors=0%
        """)

    public static let bench = CommandSpec(
        name: "bench", synopsis: "dyno bench [--filter NAME] [--baseline FILE] [--save-baseline FILE]",
        summary: "micro-benchmarks of the critical operations: ns/op and allocations/op",
        description: """
        Times each critical operation (histogram record, HTTP parse and write, JSON encode, cache, pool, SQLite):
        the median ns/op of 7 runs of at least 20 ms each, and allocations/op counted by dyno's own malloc.
        Build with -c release: a debug build times the compiler's debug code. Against --baseline, a benchmark
        regresses when its median is 25% slower or it allocates more (exit 1).
        """,
        positional: nil,
        groups: [.init(title: "Bench options", options: [
            .text("--filter", "NAME", help: "only benchmarks whose name contains NAME", set: { a, v in a.bench.filter = v }),
            .text("--baseline", "FILE", help: "compare with a saved baseline; exit 1 on a regression",
                  set: { a, v in a.bench.baseline = v }),
            .text("--save-baseline", "FILE", help: "save the results as a baseline", set: { a, v in a.bench.saveBaseline = v }),
            .number("--tolerance", "F", min: 0, max: 10, help: "time regression threshold as a fraction", defaultText: "0.25",
                    set: { a, v in a.bench.timeTolerance = v }),
            .toggle(["--list"], help: "list the benchmarks and what each measures") { $0.list = true },
        ])],
        footer: """
        Example:
          swift run -c release dyno bench --save-baseline bench.json   # later: dyno bench --baseline bench.json
        """)

    public static let compare = CommandSpec(
        name: "compare", synopsis: "dyno compare A.json B.json [--out DIR] [--threshold p95=+10%,...]",
        summary: "two run reports side by side: changes, noise band, verdicts; exit 1 on a regression",
        description: """
        Compares two report.json files from `dyno run`: A is the baseline, B the candidate. For the whole run and per
        route: rate, p50, p95, p99, errors (and DB queries per request when both have them), the change, a noise band
        from the per-second samples (2 standard errors, as the console's A/B mark) and a verdict (better, worse, noise).
        With --threshold, a change in the bad direction beyond its limit and outside the noise band is a regression.
        Exit 0 no regression, 1 a regression beyond a threshold, 2 bad input (the file and field named).
        """,
        positional: "REPORT", maxPositionals: 2,
        groups: [.init(title: "Compare options", options: [
            OptionSpec(["--threshold"], "LIMITS",
                       "regression limits: p50|p95|p99=+N% or +Dms, rate=-N%, errors=+N% (points), queries=+N") {
                text, a throws(OptionValueError) in
                do throws(ThresholdSyntaxError) { a.regressionThresholds = try RegressionThresholds.parse(text) } catch {
                    throw OptionValueError(error.message)
                }
            },
            .text("--out", "DIR", help: "write comparison.json, summary.md, junit.xml, A/B charts and report.html there",
                  set: { a, v in a.outFile = v }),
        ])],
        footer: """
        Example (a CI gate):
          dyno run Profiles/ci.json --report-dir base && (apply the change) && dyno run Profiles/ci.json --report-dir new
          dyno compare base/report.json new/report.json --threshold p95=+10%,p99=+15%,errors=+0.5%,rate=-10% --out cmp
        """)

    public static let merge = CommandSpec(
        name: "merge", synopsis: "dyno merge A.json B.json ... --out C.json",
        summary: "merge the reports of several load machines (exact percentiles from the histograms)",
        description: """
        Merges report.json files of one load run from several machines (start them together with `run --start-at`).
        Counts add up; latency comes from the union of the histograms, so the merged percentiles are exact. The
        per-second rows add rates and errors; their percentiles are the worst machine's. Thresholds are judged again.
        Exit 0 written, 2 bad input (the file and field named).
        """,
        positional: "REPORT", maxPositionals: 10_000,
        groups: [.init(title: "Merge options", options: [
            .text("--out", "FILE", help: "where to write the merged report.json", set: { a, v in a.outFile = v }),
        ])],
        footer: "")

    public static let verify = CommandSpec(
        name: "verify", synopsis: "dyno verify [--quick] [--check NAME]... [--report-dir DIR] [--data DIR]",
        summary: "the seed's acceptance criteria as checks against the embedded demo; exit 1 if one fails",
        description: """
        Runs each acceptance check against the embedded demo backend: both settings of a check get the same offered
        load (open model), settling after each knob change is not measured. Prints a table (check, naive, optimized,
        required, verdict), writes report.json, summary.md, junit.xml, an A/B chart and report.html, and exits 0 only
        if every check passed (a check whose knobs the backend lacks is skipped, never passed), 1 if one failed, 2 on
        bad input. --quick (CI) fits in 3 minutes on 2 cores: scale 0.05, short trials, no ablation. The full run adds
        the ablation: each knob alone on from all-naive and alone off from all-optimized, and its share of the gain.
        """,
        positional: nil,
        groups: [.init(title: "Verify options", options: [
            .toggle(["--quick"], help: "the CI run: small database, short trials, no ablation") { $0.verify.quick = true },
            .toggle(["--ablation"], help: "run the ablation (default: full run yes, --quick no)") { $0.verify.ablation = true },
            .toggle(["--no-ablation"], help: "leave the ablation out") { $0.verify.ablation = false },
            .text("--check", "NAME", help: "run only this check (repeatable; a name or a word of it: memory, payloads, …)",
                  check: { VerifyChecks.matching($0).isEmpty ? "a check name: " + VerifyChecks.all.map(\.name).joined(separator: ", ") : nil },
                  set: { a, v in a.verify.checks.append(v) }),
            .text("--data", "DIR", help: "the embedded backend's data directory", defaultText: ".dyno-verify/scale-X",
                  set: { a, v in a.overrides.dataDirectory = v }),
            .number("--scale", "X", min: 0.0001, help: "data size (1.0 = 100,000 articles)",
                    defaultText: "0.05 with --quick, 0.2 otherwise", set: { a, v in a.overrides.scale = v }),
            reportDirectory, quiet,
        ])],
        footer: """
        Examples:
          swift run -c release dyno verify --quick --report-dir verify   # CI: cat verify/summary.md
          swift run -c release dyno verify                               # the full run with the ablation
          swift run -c release dyno verify --quick --check memory        # one check
        """)

    public static let soak = CommandSpec(
        name: "soak", synopsis: "dyno soak [PROFILE] [--duration 10m] [--check-every 1m] [options]",
        summary: "steady load for a long time: leak verdict, descriptors, threads, error rate, p99 drift",
        description: """
        Runs PROFILE's load (default: the default profile) for --duration (default 10m, after the warm-up). Every --check-every it samples the process
        (RSS, anonymous RSS, file descriptors, threads) and that period's p99 and error rate, and prints a line. At the
        end: the leak verdict (slope of anonymous RSS), descriptor and thread growth, every window's error rate, the
        p99 drift; report.json, summary.md, junit.xml, soak.svg, report.html. Exit 0 all held, 1 one failed, 2 bad input.
        """,
        positional: "PROFILE",
        groups: [.init(title: "Soak options", options: [
            .duration("--check-every", positive: true, help: "sampling and checking period", defaultText: "1m",
                      set: { a, v in a.soakCheckEverySeconds = v }),
            reportDirectory, quiet,
        ]), loadOptions],
        footer: """
        Examples:
          swift run -c release dyno soak --duration 10m --preset optimized --rate 300
          swift run -c release dyno soak --duration 168h --check-every 10m   # the long one, on a spare machine
        """)

    /// Only for the overview: `help` is handled before options are read.
    static let help = CommandSpec(name: "help", synopsis: "dyno help [COMMAND]", summary: "this help, or a command's",
                                  description: "", positional: "COMMAND", groups: [], footer: "")
}
