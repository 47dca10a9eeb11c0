import Foundation
import Testing
import TestSupport
@testable import Console

/// End to end through tmux: the real `dyno` binary in a detached 160×48 pane, driven with send-keys and read
/// with capture-pane. Runs only when tmux is installed and the binary is built (`swift test` builds it next to
/// the test bundle; DYNO_BINARY overrides).
@Suite("Console end to end in tmux", .serialized)
struct ConsoleTmuxTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// DYNO_BINARY, else the `dyno` built next to this test bundle (the same `swift test`, whatever its scratch
    /// path), else .build/release or .build/debug.
    static let binary: String? = {
        if let path = ProcessInfo.processInfo.environment["DYNO_BINARY"], FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let sibling = bundleDirectory.appendingPathComponent("dyno").path
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        for config in ["release", "debug"] {
            let path = packageRoot.appendingPathComponent(".build/\(config)/dyno").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    static let tmux: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static let canRun = binary != nil && tmux != nil

    /// A private tmux server (its own socket) with one pane running a plain shell.
    final class Pane {
        let socket = "dyno-console-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let tmux: String

        init(tmux: String, width: Int, height: Int, directory: String) throws {
            self.tmux = tmux
            try run(capturing: false, ["-f", "/dev/null", "new-session", "-d", "-s", "dyno", "-x", "\(width)", "-y", "\(height)", "-c", directory,
                         "env -i PATH=/usr/bin:/bin HOME=\(NSTemporaryDirectory()) TERM=screen-256color LANG=C.UTF-8 PS1='SHELL$ ' bash --norc --noprofile"])
        }

        deinit {
            // kill-server alone left the server running here (tmux 3.3a); ending its only session stops it.
            _ = try? run(capturing: false, ["kill-session", "-t", "dyno"])
            _ = try? run(capturing: false, ["kill-server"])
        }

        /// Runs tmux with `arguments` and returns its stdout. posix_spawn + waitpid rather than Foundation's
        /// Process, whose waitUntilExit can hang when no run loop is spinning.
        @discardableResult
        func run(capturing: Bool = true, _ arguments: [String]) throws -> String {
            try Self.spawn([tmux, "-L", socket] + arguments, capturing: capturing)
        }

        struct SpawnError: Error { let what: String }

        static func spawn(_ argv: [String], capturing: Bool) throws -> String {
            var fds: [Int32] = [-1, -1]
            if capturing { guard pipe(&fds) == 0 else { throw SpawnError(what: "pipe") } }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            if capturing {
                posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
                posix_spawn_file_actions_addclose(&actions, fds[0])
                posix_spawn_file_actions_addclose(&actions, fds[1])
            } else {
                // The server forks from new-session and would hold a pipe open forever: no capture then.
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            }
            // A clean signal state for tmux and what it runs (see `spawnWithCleanSignals`).
            let pid: pid_t
            do { pid = try spawnWithCleanSignals(argv, &actions) } catch {
                if capturing { close(fds[0]); close(fds[1]) }
                throw SpawnError(what: "\(error)")
            }
            if capturing { close(fds[1]) }
            var output = [UInt8]()
            if capturing {
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = read(fds[0], &buffer, buffer.count)
                    if n <= 0 { break }
                    output += buffer[0..<n]
                }
                close(fds[0])
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return String(decoding: output, as: UTF8.self)
        }

        func capture() -> String { (try? run(["capture-pane", "-p"])) ?? "" }
        func type(_ text: String) throws { try run(capturing: false, ["send-keys", "-l", text]) }
        func press(_ key: String) throws { try run(capturing: false, ["send-keys", key]) }

        /// Polls the pane until `condition` holds (deadline); returns the last capture.
        func wait(deadline: Duration = .seconds(60), _ condition: (String) -> Bool) -> (Bool, String) {
            var last = ""
            let ok = waitUntilBlocking(deadline: deadline, interval: .milliseconds(100)) {
                last = capture()
                return condition(last)
            }
            return (ok, last)
        }
    }

    /// Every number on screen, in order (elapsed clock, rates, counts…).
    static func numbers(_ screen: String) -> [String] {
        screen.split(whereSeparator: { !($0.isNumber || $0 == ".") }).map(String.init).filter { $0.contains(where: \.isNumber) }
    }

    /// The knobs on screen as (key, id, value), from the header's "[k]id=value" items.
    static func knobs(_ screen: String) -> [(Character, String, String)] {
        var found: [(Character, String, String)] = []
        for line in screen.split(separator: "\n") {
            for item in line.split(separator: " ") where item.hasPrefix("[") && item.count > 4 {
                let chars = Array(item)
                guard chars[2] == "]", let eq = chars.firstIndex(of: "="), eq > 3, eq + 1 < chars.count else { continue }
                found.append((chars[1], String(chars[3..<eq]), String(chars[(eq + 1)...])))
            }
            if !found.isEmpty { break }   // the header's knob lines come first
        }
        return found
    }

    /// The knob to turn: "cache" when there is one, else the first whose key the console does not keep.
    static func knobToTurn(_ screen: String) -> (Character, String, String)? {
        let usable = knobs(screen).filter { !ConsoleKeys.reserved.contains($0.0) }
        return usable.first { $0.1 == "cache" } ?? usable.first
    }

    static func value(of id: String, _ screen: String) -> String? {
        knobs(screen).first { $0.1 == id }?.2
    }

    @Test(.enabled(if: canRun, "needs tmux and a built dyno binary (next to the tests, in .build, or DYNO_BINARY)"))
    func consoleShowsLiveNumbersTurnsAKnobAndRestoresTheTerminal() throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("dyno-console-e2e-\(getpid())")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let pane = try Pane(tmux: Self.tmux!, width: 160, height: 48, directory: Self.packageRoot.path)
        _ = pane.wait(deadline: .seconds(10)) { $0.contains("SHELL$") }
        // --timeout 60s: under the whole suite's load a session's setup request can take over the default 5 s,
        // and this test is about the console's behaviour, not the backend's latency.
        try pane.type("'\(Self.binary!)' --fps 10 --no-color --scale 0.02 --timeout 60s --data '\(dataDirectory.path)'; echo DYNO_EXIT=$?")
        try pane.press("Enter")

        // The panels appear (seeding the demo database comes first).
        let titles = ["Latency", "Throughput & latency over time", "Routes", "Status", "Cache", "Pool", "Breaker", "Jobs", "Memory"]
        // A debug build seeding 100,000 articles on 2 busy cores can take minutes: wait for it, not for a guess.
        let (shown, first) = pane.wait(deadline: .seconds(300)) { screen in titles.allSatisfy { screen.contains($0) } }
        #expect(shown, "panel titles never appeared:\n\(first)")
        guard shown else { return }

        // Numbers move between two captures.
        let (changed, second) = pane.wait(deadline: .seconds(20)) { Self.numbers($0) != Self.numbers(first) && $0.contains("Latency") }
        #expect(changed, "nothing changed on screen:\n\(second)")

        // A knob key changes the knob's value on screen.
        let knob = try #require(Self.knobToTurn(second), "no usable [key]knob=value on screen:\n\(second)")
        try pane.type(String(knob.0))
        let (turned, third) = pane.wait(deadline: .seconds(20)) { screen in
            guard let now = Self.value(of: knob.1, screen) else { return false }
            return now != knob.2
        }
        #expect(turned, "knob \(knob.1) stayed at \(knob.2) after pressing \(knob.0):\n\(third)")

        // A resize re-lays out at once: below 80×24 the console says so, back up the panels return.
        try pane.run(capturing: false, ["resize-window", "-t", "dyno", "-x", "70", "-y", "20"])
        let (small, smallScreen) = pane.wait(deadline: .seconds(10)) { $0.contains("terminal too small") }
        #expect(small, "no size message at 70×20:\n\(smallScreen)")
        try pane.run(capturing: false, ["resize-window", "-t", "dyno", "-x", "160", "-y", "48"])
        let (big, bigScreen) = pane.wait(deadline: .seconds(10)) { screen in titles.allSatisfy { screen.contains($0) } }
        #expect(big, "panels did not come back at 160×48:\n\(bigScreen)")

        // q exits 0 and the shell is back (the console's alternate screen is gone).
        try pane.type("q")
        let (exited, last) = pane.wait(deadline: .seconds(30)) { $0.range(of: "DYNO_EXIT=[0-9]", options: .regularExpression) != nil }
        #expect(exited, "dyno did not exit after q:\n\(last)")
        #expect(last.contains("DYNO_EXIT=0"))
        #expect(!last.contains("Throughput & latency over time"))
        let (prompt, _) = pane.wait(deadline: .seconds(5)) { screen in
            screen.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.hasPrefix("SHELL$") == true
        }
        #expect(prompt, "no shell prompt after exit")

        // Ctrl-C (SIGINT through the terminal) also restores it; the exit status says it was interrupted.
        try pane.type("clear; '\(Self.binary!)' --fps 10 --no-color --scale 0.02 --timeout 60s --data '\(dataDirectory.path)'; echo DYNO_EXIT=$?")
        try pane.press("Enter")
        let (again, againScreen) = pane.wait { screen in titles.allSatisfy { screen.contains($0) } }
        #expect(again, "panel titles never appeared the second time:\n\(againScreen)")
        try pane.press("C-c")
        let (interrupted, afterInterrupt) = pane.wait(deadline: .seconds(30)) { $0.range(of: "DYNO_EXIT=[0-9]", options: .regularExpression) != nil }
        #expect(interrupted && afterInterrupt.contains("DYNO_EXIT=130"), "after Ctrl-C:\n\(afterInterrupt)")
        #expect(!afterInterrupt.contains("Throughput & latency over time"))
    }
}
