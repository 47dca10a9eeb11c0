import Foundation
import Testing
import TestSupport

/// End to end through tmux: the real `dyno` binary in a detached 160×48 pane, driven with send-keys and read
/// with capture-pane. Runs only when tmux is installed and the binary is built (`swift build` puts it in
/// .build/debug; DYNO_BINARY overrides).
@Suite("Console end to end in tmux", .serialized)
struct ConsoleTmuxTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let binary: String? = {
        if let path = ProcessInfo.processInfo.environment["DYNO_BINARY"], FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
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
            _ = try run(["-f", "/dev/null", "new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-c", directory,
                         "env -i PATH=/usr/bin:/bin HOME=\(NSTemporaryDirectory()) TERM=screen-256color LANG=C.UTF-8 PS1='SHELL$ ' bash --norc --noprofile"])
        }

        deinit { _ = try? run(["kill-server"]) }

        @discardableResult
        func run(_ arguments: [String]) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tmux)
            p.arguments = ["-L", socket] + arguments
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }

        func capture() -> String { (try? run(["capture-pane", "-p"])) ?? "" }
        func type(_ text: String) throws { try run(["send-keys", "-l", text]) }
        func press(_ key: String) throws { try run(["send-keys", key]) }

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

    /// The first knob on screen as (key, id, value), from the header's "[k]id=value".
    static func firstKnob(_ screen: String) -> (Character, String, String)? {
        for line in screen.split(separator: "\n") {
            guard let open = line.firstIndex(of: "[") else { continue }
            var rest = line[open...]
            while let o = rest.firstIndex(of: "["), rest.index(o, offsetBy: 3, limitedBy: rest.endIndex) != nil {
                let key = rest[rest.index(after: o)]
                let close = rest.index(o, offsetBy: 2)
                if rest[close] == "]", let eq = rest[close...].firstIndex(of: "=") {
                    let id = String(rest[rest.index(after: close)..<eq])
                    let value = rest[rest.index(after: eq)...].prefix { !$0.isWhitespace }
                    if !id.isEmpty, !id.contains(" "), !value.isEmpty { return (key, id, String(value)) }
                }
                rest = rest[rest.index(after: o)...]
            }
        }
        return nil
    }

    @Test(.enabled(if: canRun, "needs tmux and a built dyno binary (.build/debug/dyno or DYNO_BINARY)"))
    func consoleShowsLiveNumbersTurnsAKnobAndRestoresTheTerminal() throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("dyno-console-e2e-\(getpid())")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dataDirectory) }
        let pane = try Pane(tmux: Self.tmux!, width: 160, height: 48, directory: Self.packageRoot.path)
        _ = pane.wait(deadline: .seconds(10)) { $0.contains("SHELL$") }
        try pane.type("'\(Self.binary!)' --fps 10 --no-color --data '\(dataDirectory.path)'; echo DYNO_EXIT=$?")
        try pane.press("Enter")

        // The panels appear (seeding the demo database comes first).
        let titles = ["Latency", "Throughput & latency over time", "Routes", "Status", "Cache", "Pool", "Breaker", "Jobs", "Memory"]
        let (shown, first) = pane.wait { screen in titles.allSatisfy { screen.contains($0) } }
        #expect(shown, "panel titles never appeared:\n\(first)")
        guard shown else { return }

        // Numbers move between two captures.
        let (changed, second) = pane.wait(deadline: .seconds(20)) { Self.numbers($0) != Self.numbers(first) && $0.contains("Latency") }
        #expect(changed, "nothing changed on screen:\n\(second)")

        // A knob key changes the knob's value on screen.
        let knob = try #require(Self.firstKnob(second), "no [key]knob=value on screen:\n\(second)")
        try pane.type(String(knob.0))
        let (turned, third) = pane.wait(deadline: .seconds(20)) { screen in
            guard let now = Self.firstKnob(screen) else { return false }
            return now.1 == knob.1 && now.2 != knob.2
        }
        #expect(turned, "knob \(knob.1) stayed at \(knob.2) after pressing \(knob.0):\n\(third)")

        // q exits 0 and the shell is back (the console's alternate screen is gone).
        try pane.type("q")
        let (exited, last) = pane.wait(deadline: .seconds(30)) { $0.contains("DYNO_EXIT=") }
        #expect(exited, "dyno did not exit after q:\n\(last)")
        #expect(last.contains("DYNO_EXIT=0"))
        #expect(!last.contains("Throughput & latency over time"))
        let (prompt, _) = pane.wait(deadline: .seconds(5)) { screen in
            screen.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.hasPrefix("SHELL$") == true
        }
        #expect(prompt, "no shell prompt after exit")
    }
}
