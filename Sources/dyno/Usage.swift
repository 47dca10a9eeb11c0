enum Usage {
    static let version = "dyno 0.1.0"

    static let main = """
    dyno — a dynamometer for backends: put a real backend under real load, watch it live, turn the knobs.

    Usage:
      dyno [PROFILE] [options]          open the console (default: the embedded demo, profile "default")
      dyno run [PROFILE] [options]      headless run: progress, summary table, report.json; exit 1 if a threshold fails
      dyno serve [--port N] [--data DIR] run only the demo backend (Conduit API) in the foreground
      dyno knobs                        list the knobs (id, values, key, what they change)
      dyno screenshot PROFILE --out FILE.svg|.txt [--after 5s] [--size 160x48]
                                        render one console frame of a headless run to a file
      dyno help [COMMAND]               this help, or a command's

    PROFILE is a file or a name from Profiles/ (default, steady, ramp, spike, ci, ...).
    Run `dyno COMMAND --help` for a command's options. Exit codes: 0 ok, 1 threshold missed, 2 bad usage or input.
    """

    static let runOptions = """
    Load options (override the profile):
      --target URL          "embedded" (default) or http://host:port[/base]
      --path P              GET path P (repeatable); replaces the profile's request mix, like wrk/oha
      --rate N              open model: N requests/s, whatever the responses do (coordinated-omission corrected)
      --users N             closed model: N users, each waits for its response before the next request
      --connections N       open model: at most N connections (default 64)
      --threads N           load worker threads (default: number of cores)
      --duration D          measured duration, e.g. 10s, 2m (default: the profile's)
      --warmup D            discarded warm-up before measuring
      --timeout D           per-request timeout (default 5s)
      --preset P            knobs preset: naive or optimized (embedded target)
      --knob ID=VALUE       set one knob (repeatable), see `dyno knobs`
      --data DIR            embedded backend's data directory (default .dyno)
      --scale X             embedded backend's data size (1.0 = 100,000 articles)
    """

    static let run = """
    Usage: dyno run [PROFILE] [options]

    Runs a profile headless. With no PROFILE and no --path: the default Conduit mix against the embedded demo.
    Prints a live one-line progress on stderr (when it is a terminal), a summary table at the end, and writes
    report.json into --report-dir. Exit 0 when every threshold holds, 1 when one is missed, 2 on bad input.

    \(runOptions)
      --report-dir DIR      write report.json there (default: reports/<profile>-<time>)
      --quiet, -q           no progress line
      -h, --help            this help

    Examples:
      swift run -c release dyno run Profiles/ci.json
      swift run -c release dyno run --target http://127.0.0.1:8080 --path / --users 64 --duration 10s
      swift run -c release dyno run --target http://127.0.0.1:8080 --path /api/tags --rate 2000 --duration 30s
    """

    static let console = """
    Usage: dyno [PROFILE] [options]

    Opens the console on PROFILE (default: "default" against the embedded demo backend).

    \(runOptions)
      --fps N               redraws per second (default 10)
      --no-color            no colours (NO_COLOR in the environment does the same)
      -h, --help            this help

    Keys: q quit · ? help · space pause · +/- rate · [/] users · Tab panels · r reset · m mark baseline · knob keys
    """

    static let serve = """
    Usage: dyno serve [--port N] [--host ADDR] [--data DIR] [--scale X] [--preset P] [--knob ID=VALUE] [--threads N]

    Runs the demo backend (the RealWorld "Conduit" API on SQLite) in the foreground and prints its URL.
    Seeds the database on first start (deterministic). Ctrl-C or SIGTERM stops it cleanly.
      --port N       port (default 8080; 0 picks a free one)
      --host ADDR    address to bind (default 127.0.0.1)
      --data DIR     data directory (default .dyno)
      --scale X      data size on first seed (1.0 = 100,000 articles)
      --threads N    serving threads (default: number of cores)
      --preset P     knobs preset: naive or optimized
      --knob ID=V    set one knob (repeatable)
    """

    static let knobs = """
    Usage: dyno knobs

    Lists the demo backend's knobs: id, allowed values, default, naive and optimized values, console key.
    Set them with --preset/--knob, a profile's "preset"/"knobs"/"knobSchedule", the console keys, or
    PUT /debug/knobs on a running backend.
    """

    static let screenshot = """
    Usage: dyno screenshot PROFILE --out FILE.svg|FILE.txt [--after D] [--size WxH] [load options]

    Runs PROFILE headless for D (default 5s), then renders one console frame (WxH cells, default 160x48)
    as SVG or plain text.
    """

    static func text(for command: String?) -> String {
        switch command {
        case "run": return run
        case "serve": return serve
        case "knobs": return knobs
        case "screenshot": return screenshot
        case "console": return console
        default: return main
        }
    }
}
