import CNcursesShim
import Knobs
import Metrics
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How the console runs.
public struct ConsoleOptions: Sendable {
    /// Frames per second at most (default 10); frames are drawn only when something changed.
    public var framesPerSecond: Double
    /// Colours unless false (`--no-color`); the NO_COLOR environment variable also turns them off.
    public var color: Bool
    /// Draw with ASCII only even in a UTF-8 locale.
    public var asciiOnly: Bool

    public init(framesPerSecond: Double = 10, color: Bool = true, asciiOnly: Bool = false) {
        self.framesPerSecond = framesPerSecond; self.color = color; self.asciiOnly = asciiOnly
    }
}

/// What one console run cost, for measuring the console itself (render cost, missed ticks).
public struct ConsoleRunStatistics: Sendable, Equatable {
    /// Frames drawn and refreshed.
    public var frames = 0
    /// Distinct snapshots ingested.
    public var snapshots = 0
    /// Snapshots published but never seen (the poll was too slow).
    public var missedSnapshots = 0
    /// CPU time of the console's thread (input, ingest, render), seconds.
    public var cpuSeconds = 0.0
    /// Wall-clock duration of the run, seconds.
    public var wallSeconds = 0.0
    public init() {}
    /// CPU time as a fraction of one core over the run.
    public var cpuShare: Double { wallSeconds > 0 ? cpuSeconds / wallSeconds : 0 }
}

/// Set while ncurses owns the terminal, so an `exit()` from anywhere still restores it (see `restoreAtExit`).
private let terminalOwned = Atomic<Bool>(false)
private let atExitRegistered = Atomic<Bool>(false)

/// atexit hook: a process that exits while the console is up gets its terminal back, then what it printed to
/// stderr meanwhile (e.g. the reason it called exit).
private func restoreAtExit() {
    if terminalOwned.exchange(false, ordering: .acquiringAndReleasing) {
        endwin()
        dyno_terminal_replay_stderr()
    }
}

/// The interactive console: an ncurses front end that renders a session's snapshots and turns keys into
/// session calls and knob changes. It runs on the calling thread until `q`, Ctrl-C, SIGTERM or SIGHUP.
public enum ConsoleApp {
    /// The message when stdout (or stdin) is not a terminal.
    public static let notATerminalMessage =
        "dyno: the console needs a terminal (stdout is not a TTY); use `dyno run` for headless runs"

    /// Runs the console and returns the process exit code: 0 after `q`, 2 when there is no terminal,
    /// 128 + signal number after SIGINT/SIGTERM/SIGHUP.
    public static func run(session: ConsoleSession, options: ConsoleOptions = ConsoleOptions()) -> Int32 {
        run(session: session, options: options, statistics: nil)
    }

    /// As `run(session:options:)`, and hands what the run cost to `statistics` after the terminal is restored.
    public static func run(session: ConsoleSession, options: ConsoleOptions,
                           statistics: ((ConsoleRunStatistics) -> Void)?) -> Int32 {
        setlocale(LC_ALL, "")
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            printError(notATerminalMessage)
            return 2
        }
        let glyphs = options.asciiOnly ? Glyphs.ascii : Glyphs.forCurrentLocale()
        let noColorEnv = getenv("NO_COLOR").map { String(cString: $0).isEmpty == false } ?? false

        // Our SIGINT/SIGTERM/SIGHUP handlers go in first: ncurses then leaves those signals to us.
        dyno_terminal_signals_reset()
        dyno_quit_signals_install()
        defer { dyno_quit_signals_remove() }

        // stderr goes to a file while the screen is ours (a stray log line would garble it); replayed after.
        let stderrCapture = StderrCapture()

        dyno_terminal_save_modes()
        guard let screen = dyno_newterm() else {
            stderrCapture.restore()
            let term = getenv("TERM").map { String(cString: $0) } ?? "(unset)"
            printError("dyno: cannot start the console: unknown or unusable terminal type TERM=\(term)")
            return 2
        }
        _ = set_term(screen)
        terminalOwned.store(true, ordering: .releasing)
        if !atExitRegistered.exchange(true, ordering: .relaxed) { atexit { restoreAtExit() } }
        dyno_terminal_guard_install(stderrCapture.savedFD, stderrCapture.captureFD)

        _ = cbreak(); _ = noecho(); _ = nonl()
        _ = keypad(dyno_stdscr(), true)
        _ = curs_set(0)
        _ = set_escdelay(25)   // Esc alone registers fast; arrow sequences still parse
        let color = options.color && !noColorEnv && has_colors()
        if color {
            _ = start_color()
            NcursesCanvas.defineColors()
        }

        let canvas = NcursesCanvas(glyphs: glyphs, color: color)
        var loop = RenderLoop(session: session, canvas: canvas, fps: options.framesPerSecond)
        let startWall = MonotonicClock.nanoseconds(), startCPU = threadCPUNanoseconds()
        let code = loop.run()
        loop.stats.cpuSeconds = Double(threadCPUNanoseconds() - startCPU) / 1e9
        loop.stats.wallSeconds = Double(MonotonicClock.nanoseconds() - startWall) / 1e9
        loop.stats.missedSnapshots = loop.model.missedSnapshots

        // Restore first, then anything that was printed meanwhile.
        endwin()
        terminalOwned.store(false, ordering: .releasing)
        delscreen(screen)
        dyno_terminal_guard_remove()
        stderrCapture.restore()
        statistics?(loop.stats)
        return code
    }

    /// An ncurses key code as a console key (nil for keys the console ignores).
    static func decodeKey(_ ch: Int32) -> ConsoleKey? { RenderLoop.decode(ch) }

    static func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func printError(_ message: String) {
        let line = message + "\n"
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
}

/// The loop: read keys without blocking rendering, ingest every new snapshot, draw at most `fps` frames per
/// second and only when something changed.
struct RenderLoop {
    let session: ConsoleSession
    let canvas: NcursesCanvas
    let frameNanoseconds: UInt64
    var model: ConsoleModel
    var stats = ConsoleRunStatistics()

    init(session: ConsoleSession, canvas: NcursesCanvas, fps: Double) {
        self.session = session
        self.canvas = canvas
        frameNanoseconds = UInt64(1e9 / min(max(fps, 0.5), 60))
        model = ConsoleModel(title: session.title)
    }

    /// Snapshots are polled this often: three polls per 100 ms tick so none is missed, few enough wake-ups that
    /// the idle console costs next to nothing (each poll is one lock read).
    static let pollMilliseconds: UInt64 = 30

    mutating func run() -> Int32 {
        let window = dyno_stdscr()
        var dirty = true
        var nextFrame: UInt64 = 0
        var lastSequence = Int.min
        var wasFinished = false
        let knobs = session.knobs
        while true {
            let now = MonotonicClock.nanoseconds()
            var wait = Self.pollMilliseconds
            if dirty { wait = min(wait, nextFrame > now ? (nextFrame - now) / 1_000_000 : 0) }
            wtimeout(window, Int32(wait))
            let ch = wgetch(window)
            if dyno_quit_signal_received() != 0 { return 128 + dyno_quit_signal_received() }
            if ch != dyno_err() {
                if ch == KEY_RESIZE {
                    canvas.updateSize()
                    dirty = true; nextFrame = 0
                } else if let key = Self.decode(ch) {
                    for action in model.handle(key, knobs: knobs) {
                        if action == .quit { return 0 }
                        perform(action, knobs: knobs)
                    }
                    dirty = true; nextFrame = 0   // answer a key at once
                }
            }
            if let s = session.latestSnapshot, s.sequence != lastSequence {
                lastSequence = s.sequence
                model.ingest(s)
                stats.snapshots += 1
                dirty = true
            }
            let finished = session.isFinished
            if finished != wasFinished { wasFinished = finished; dirty = true }
            let t = MonotonicClock.nanoseconds()
            if dirty, t >= nextFrame {
                ConsoleRenderer.draw(model, knobs: knobs, on: canvas, finished: finished)
                canvas.refresh()
                stats.frames += 1
                dirty = false
                nextFrame = t + frameNanoseconds
            }
        }
    }

    mutating func perform(_ action: ConsoleAction, knobs: KnobRegistry?) {
        switch action {
        case .quit: break
        case .togglePause: session.togglePause()
        case .adjustRate(let factor): session.adjustRate(by: factor)
        case .adjustUsers(let delta): session.adjustUsers(by: delta)
        case .resetStatistics: session.resetStatistics()
        case .applyPreset(let preset): session.applyPreset(preset)
        case .setKnob(let id, let value):
            do {
                try knobs?.set([id: value], source: "key")
            } catch {
                model.setFlash(error.description)
            }
        }
    }

    /// An ncurses key code as a console key (nil for keys the console ignores).
    static func decode(_ ch: Int32) -> ConsoleKey? {
        switch ch {
        case 9: return .tab
        case KEY_BTAB: return .backTab
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case 10, 13, KEY_ENTER: return .enter
        case 27: return .escape
        case 3: return .character("q")   // Ctrl-C arriving as a byte (raw terminals) quits like q
        case 32..<127:
            guard let scalar = Unicode.Scalar(UInt32(ch)) else { return nil }
            return .character(Character(scalar))
        default: return nil
        }
    }
}

/// Points fd 2 at an unlinked temporary file and back, replaying what was written there.
private final class StderrCapture {
    let savedFD: Int32
    let captureFD: Int32

    init() {
        var template = Array("/tmp/dyno-console-stderr-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0 {
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            savedFD = dup(STDERR_FILENO)
            captureFD = fd
            if savedFD >= 0 { _ = dup2(fd, STDERR_FILENO) }
        } else {
            savedFD = -1; captureFD = -1
        }
    }

    private var restored = false

    func restore() {
        guard !restored else { return }
        restored = true
        guard savedFD >= 0, captureFD >= 0 else { return }
        _ = dup2(savedFD, STDERR_FILENO)
        _ = lseek(captureFD, 0, SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(captureFD, $0.baseAddress, 4096) }
            if n <= 0 { break }
            _ = buffer.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, n) }
        }
        close(captureFD)
        close(savedFD)
    }
}
