import Knobs
import Metrics

/// What the console needs from a running session (the engine conforms to this; the console never sees the
/// engine's types). The load and the aggregation run on other threads: the console only reads snapshots and
/// calls these methods from its own thread.
public protocol ConsoleSession: AnyObject, Sendable {
    /// One line naming what runs, e.g. "embedded demo · profile default".
    var title: String { get }
    /// The newest tick; must be cheap (a lock-protected reference read). The console polls it several times per
    /// tick and ingests every new `sequence` it sees.
    var latestSnapshot: Snapshot? { get }
    /// The knob registry the backend reads; nil for an external target.
    var knobs: KnobRegistry? { get }
    /// Pauses the load if running, resumes it if paused.
    func togglePause()
    /// Multiplies the offered rate (open model) by `factor`.
    func adjustRate(by factor: Double)
    /// Adds `delta` virtual users (closed model); negative removes.
    func adjustUsers(by delta: Int)
    /// Starts every total and histogram afresh (a "reset" timeline event).
    func resetStatistics()
    /// Sets every knob to its value under `preset`.
    func applyPreset(_ preset: KnobPreset)
    /// The run has ended (its duration elapsed or it failed); the console keeps showing the last frame.
    var isFinished: Bool { get }
}

/// A key press, decoded from the terminal.
public enum ConsoleKey: Sendable, Equatable {
    case character(Character)
    case tab, backTab, up, down, left, right, enter, escape
}

/// What a key asks the outside world to do (the model handles its own view state itself).
public enum ConsoleAction: Sendable, Equatable {
    case quit
    case togglePause
    case adjustRate(factor: Double)
    case adjustUsers(delta: Int)
    case resetStatistics
    case applyPreset(KnobPreset)
    /// Set knob `id` to `value` through the registry (source "key").
    case setKnob(id: String, value: String)
}

/// Every panel of the console.
public enum PanelID: String, Sendable, CaseIterable {
    case latency = "Latency"
    case overTime = "Throughput & latency over time"
    case routes = "Routes"
    case status = "Status"
    case compare = "A/B vs mark"
    case cache = "Cache"
    case pool = "Pool"
    case breaker = "Breaker"
    case jobs = "Jobs"
    case memory = "Memory"

    /// The panels fed by backend probes.
    public static let backend: [PanelID] = [.cache, .pool, .breaker, .jobs, .memory]
}
