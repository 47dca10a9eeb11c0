import Foundation
import Metrics
import Synchronization

/// Gathers the embedded backend's internal-error lines from a run's snapshots (each line once, by its sequence
/// number) for `errors.log` in the report directory. The probe carries only the newest lines, so when more errors
/// happen between two ticks than it keeps, the log says how many it missed.
public final class InternalErrorCollector: Sendable {
    /// Lines kept in memory for the file; beyond that they are counted, not kept.
    public static let maxLines = 10_000
    public static let fileName = "errors.log"

    private struct State {
        var lastSequence: UInt64 = 0
        var lines: [String] = []
        var notKept: UInt64 = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// Takes the new lines of `snapshot` (call it for every tick, e.g. through `RunSession.observeSnapshots`).
    public func ingest(_ snapshot: Snapshot) {
        guard let probe = snapshot.backend?.internalErrors, probe.total > 0 else { return }
        state.withLock { s in
            guard probe.total > s.lastSequence else { return }
            let fresh = probe.recent.filter { $0.sequence > s.lastSequence }
            let missed = probe.total - s.lastSequence - UInt64(fresh.count)
            if missed > 0 {
                s.lines.append("(\(missed) internal error line\(missed == 1 ? "" : "s") happened between two ticks and were not captured)")
            }
            for line in fresh {
                if s.lines.count < Self.maxLines { s.lines.append(line.text) } else { s.notKept += 1 }
            }
            s.lastSequence = probe.total
        }
    }

    /// Internal errors seen so far.
    public var count: UInt64 { state.withLock { $0.lastSequence } }

    /// The text of `errors.log`, nil when there were no internal errors.
    public var logText: String? {
        state.withLock { s in
            guard s.lastSequence > 0 else { return nil }
            var text = s.lines.joined(separator: "\n") + "\n"
            if s.notKept > 0 { text += "(\(s.notKept) more lines not kept: at most \(Self.maxLines))\n" }
            return text
        }
    }

    /// Writes `errors.log` into `directory` (created if needed) when there were internal errors; returns its path.
    @discardableResult
    public func write(into directory: String) throws -> String? {
        guard let text = logText else { return nil }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
