import Knobs
import Metrics

/// The console's whole state, with no terminal in sight: what it derived from the snapshots it saw (per-second
/// samples, the rolling latency window, per-route figures, the A/B mark) and its view state (focus, sort, help,
/// window). Feed it every snapshot with `ingest(_:)`, keys with `handle(_:knobs:)`; draw it with `ConsoleRenderer`.
public struct ConsoleModel: Sendable {
    /// Charts keep this many seconds (10 minutes).
    public static let historySeconds = 600
    /// Rolling window lengths `(` and `)` step through.
    public static let windowChoices = [1, 2, 5, 10, 15, 30, 60]

    public enum WindowMode: String, Sendable { case rolling, wholeRun }
    public enum RouteSort: String, Sendable, CaseIterable { case mix, rate, p50, p95, p99, errors }
    /// What the Routes panel shows: the load generator's routes (request mix) or the backend's own (`v` toggles).
    public enum RoutesView: String, Sendable { case client, server }

    public let title: String
    /// The newest snapshot ingested.
    public private(set) var latest: Snapshot?
    /// One sample per completed second, oldest first (at most `historySeconds`).
    public private(set) var seconds = TimeSeries<SecondSample>(capacity: ConsoleModel.historySeconds)
    /// Snapshots that were published but never seen (their interval histograms are missing from the window;
    /// rates stay exact because they come from totals).
    public private(set) var missedSnapshots = 0

    // View state.
    public var focus: PanelID = .latency
    /// Which backend panel a shared (stacked) slot shows.
    public var backendTab: PanelID = .cache
    public var showHelp = false
    public var zoomed = false
    public var windowMode: WindowMode = .rolling
    public var windowSeconds = 10
    public var routeSort: RouteSort = .mix
    public var routeSortDescending = true
    public var routesView: RoutesView = .client
    /// The A/B baseline while comparing (set and cleared by `m`).
    public private(set) var mark: Mark?
    /// A short message for the help bar ("cache → on"), shown until `flashUntil` (run seconds).
    public private(set) var flash: String?
    private var flashUntil = 0.0

    // Derived state.
    private var rolling = RollingLatency()
    private var fold = SecondFold(perRoute: true)
    /// The rolling window's union, recomputed once per completed second (or when the window changes).
    public private(set) var windowCorrected = LatencyHistogram()
    public private(set) var windowService = LatencyHistogram()
    /// Percentiles of `shownLatency`, computed when it changes (not per frame: each is a scan of the histogram).
    public private(set) var shownSummary = (corrected: LatencySummary(), service: LatencySummary())
    /// Per-route figures of the last completed second.
    public private(set) var routeSeconds: [String: RouteSecond] = [:]
    /// The backend's per-route figures of the last completed second (nil: no second yet, or no probes).
    public private(set) var serverSecond: ServerView?

    public init(title: String) {
        self.title = title
    }

    /// The A/B baseline: the per-second samples of the window before `m` was pressed.
    public struct Mark: Sendable {
        /// The second in progress when `m` was pressed; "current" counts the seconds after it.
        public let atSecond: Int
        public let baseline: [SecondSample]
    }

    // MARK: - ingest

    /// Folds one snapshot in. Repeated sequences are ignored; gaps are counted in `missedSnapshots`.
    public mutating func ingest(_ s: Snapshot) {
        if let last = latest {
            if s.sequence == last.sequence { return }
            if s.sequence < last.sequence || s.elapsedSeconds + 1e-9 < last.elapsedSeconds {
                clearDerived()   // a new run behind the same session
            } else if s.sequence > last.sequence + 1 {
                missedSnapshots += s.sequence - last.sequence - 1
            }
        }
        if let sample = fold.add(s) { finish(sample) }
        latest = s
        if windowMode == .wholeRun { refreshShownSummary() }
        if flash != nil, s.elapsedSeconds >= flashUntil { flash = nil }
    }

    /// Keeps a completed second: its sample, its latency in the rolling window, its server view.
    private mutating func finish(_ sample: SecondSample) {
        routeSeconds = sample.routes
        serverSecond = sample.backend.map { ServerView(work: $0.routes, seconds: $0.seconds) }
        // Only the newest second's route figures are shown: the history keeps the run-wide rows.
        var row = sample
        row.routes = [:]
        row.backend?.routes = []
        seconds.append(row)
        rolling.push(corrected: &fold.completedCorrected, service: &fold.completedService)
        recomputeWindow()
    }

    private mutating func recomputeWindow() {
        (windowCorrected, windowService) = rolling.merged(lastSeconds: windowSeconds)
        refreshShownSummary()
    }

    /// Recomputes `shownSummary` (after the window, its mode or the run's totals changed).
    mutating func refreshShownSummary() {
        let (c, s) = shownLatency
        shownSummary = (c.summary, s.summary)
    }

    /// Forgets everything derived from snapshots (after a statistics reset or a new run); view state stays.
    public mutating func clearDerived() {
        seconds.removeAll()
        rolling.removeAll()
        fold = SecondFold(perRoute: true)
        windowCorrected = LatencyHistogram(); windowService = LatencyHistogram()
        routeSeconds = [:]
        serverSecond = nil
        mark = nil
        latest = nil
        shownSummary = (LatencySummary(), LatencySummary())
    }

    // MARK: - derived views

    /// The latency histograms the Latency panel shows: the rolling window or the whole run.
    public var shownLatency: (corrected: LatencyHistogram, service: LatencyHistogram) {
        switch windowMode {
        case .rolling: return (windowCorrected, windowService)
        case .wholeRun: return (latest?.load.latencyTotal ?? LatencyHistogram(), latest?.load.serviceTotal ?? LatencyHistogram())
        }
    }

    /// Seconds the rolling window really covers so far.
    public var windowCoveredSeconds: Int { min(windowSeconds, rolling.count) }

    /// "last 10s" or "whole run".
    public var windowLabel: String {
        switch windowMode {
        case .rolling:
            // While the window is still filling, say how much of it there is.
            let covered = windowCoveredSeconds
            return covered < windowSeconds && latest != nil ? "last \(covered)/\(windowSeconds)s" : "last \(windowSeconds)s"
        case .wholeRun: return "whole run"
        }
    }

    /// The newest completed second.
    public var lastSecond: SecondSample? { seconds.last }

    mutating func setFlash(_ text: String) {
        flash = text
        flashUntil = (latest?.elapsedSeconds ?? 0) + 3
    }

    mutating func setWindow(seconds: Int) {
        windowSeconds = seconds
        recomputeWindow()
    }

    mutating func toggleMark() {
        if mark != nil {
            mark = nil
            setFlash("mark cleared")
            return
        }
        let all = seconds.elements
        let n = windowMode == .rolling ? windowSeconds : all.count
        let baseline = Array(all.suffix(n))
        // The second in progress mixes before and after: "current" starts with the next one.
        mark = Mark(atSecond: fold.secondInProgress ?? (all.last?.second ?? -1), baseline: baseline)
        setFlash(baseline.isEmpty ? "mark set (no baseline seconds yet)" : "mark set: baseline = last \(baseline.count)s")
    }
}
