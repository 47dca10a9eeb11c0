// A separate process for tests that need one (a real `dyno serve` to kill -9), and the `dyno` binary to run.
import Glibc

/// The `dyno` executable a test can spawn: DYNO_BINARY, else the one built next to the test bundle (the same
/// `swift build --build-tests` / `swift test`, whatever its scratch path), else .build/debug or .build/release.
/// Nil when none is built (tests that need it are then disabled, not failed).
public let dynoBinary: String? = {
    func executable(_ path: String) -> Bool { access(path, X_OK) == 0 }
    if let path = getenv("DYNO_BINARY").map({ String(cString: $0) }), executable(path) { return path }
    let bundle = CommandLine.arguments[0]
    if let slash = bundle.lastIndex(of: "/") {
        let sibling = String(bundle[..<slash]) + "/dyno"
        if executable(sibling) { return sibling }
    }
    // #filePath is Tests/TestSupport/ChildProcess.swift: the package root is three levels up.
    let root = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
    return ["debug", "release"].map { "\(root)/.build/\($0)/dyno" }.first(where: executable)
}()

/// Starts `argv` (argv[0] an absolute path) with `actions` and a clean signal state: the test process may block or
/// ignore signals (SIGWINCH, SIGPIPE among them), and both survive exec, so the child gets an empty mask and every
/// signal at its default. Returns the pid.
public func spawnWithCleanSignals(_ argv: [String], _ actions: inout posix_spawn_file_actions_t) throws -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t(), all = sigset_t()
    sigemptyset(&empty)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for p in cArgs { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
    guard rc == 0 else { throw TestSupportError("posix_spawn \(argv[0]) failed: \(rc)") }
    return pid
}

/// A child process started with posix_spawn, stdout and stderr written to files (a pipe nobody reads could fill
/// and stall the child). `kill` and `wait` act on this child's pid only. Killed with SIGKILL when deinitialized
/// while still running, so a failing test leaves no process behind.
public final class ChildProcess {
    public let pid: pid_t
    public let stdoutPath: String
    public let stderrPath: String
    private var exitStatus: Int32?

    /// Starts `argv` (argv[0] an absolute path) with stdin from /dev/null and a clean signal state.
    public init(_ argv: [String], stdoutPath: String, stderrPath: String) throws {
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        self.pid = try spawnWithCleanSignals(argv, &actions)
    }

    deinit {
        if exitStatus == nil {
            Glibc.kill(pid, SIGKILL)
            _ = wait()
        }
    }

    /// Sends `signal` to the child (nothing once it has been reaped).
    public func kill(_ signal: Int32) {
        guard exitStatus == nil else { return }
        Glibc.kill(pid, signal)
    }

    /// Waits for the child to end and returns its raw wait status (see WIFSIGNALED etc.).
    @discardableResult
    public func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        exitStatus = status
        return status
    }

    /// Waits until the child is stopped (after SIGSTOP), so what it wrote so far is all it will write.
    public func waitStopped() {
        var status: Int32 = 0
        while waitpid(pid, &status, WUNTRACED) < 0 && errno == EINTR {}
    }

    /// The child's stdout (or stderr) so far.
    public var output: String { Self.read(stdoutPath) }
    public var errorOutput: String { Self.read(stderrPath) }

    private static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
