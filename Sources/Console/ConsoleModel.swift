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
    private var accumulator: SecondAccumulator?
    private var secondCorrected = LatencyHistogram()
    private var secondService = LatencyHistogram()
    private var secondRoutes: [String: LatencyHistogram] = [:]
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

    /// What a route did in one second.
    public struct RouteSecond: Sendable, Equatable {
        public var rate: Double
        public var errorRate: Double
        public var latency: LatencySummary
    }

    /// The A/B baseline: the per-second samples of the window before `m` was pressed.
    public struct Mark: Sendable {
        /// The second in progress when `m` was pressed; "current" counts the seconds after it.
        public let atSecond: Int
        public let baseline: [SecondSample]
    }

    private struct SecondAccumulator: Sendable {
        var second: Int
        var baseElapsed: Double
        var baseTotal: LoadCounts
        var baseRouteTotals: [String: LoadCounts]
        var baseBackend: BackendSnapshot?
        var offeredSum = 0.0
        var ticks = 0
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
        let second = Self.secondIndex(of: s)
        if let acc = accumulator, second > acc.second, let end = latest {
            finish(acc, end: end)
            accumulator = SecondAccumulator(
                second: second, baseElapsed: end.elapsedSeconds, baseTotal: end.load.total,
                baseRouteTotals: Self.routeTotals(end), baseBackend: end.backend)
        }
        if accumulator == nil {
            // First sight of the run: its base is this snapshot minus its own interval.
            var base = LoadCounts()
            base = s.load.total.since(s.load.interval)
            var routes: [String: LoadCounts] = [:]
            for r in s.routes { routes[r.name] = r.total.since(r.interval) }
            accumulator = SecondAccumulator(
                second: second, baseElapsed: s.elapsedSeconds - s.intervalSeconds, baseTotal: base,
                baseRouteTotals: routes, baseBackend: s.backend)
        }
        accumulator!.offeredSum += s.load.offeredRate
        accumulator!.ticks += 1
        secondCorrected.merge(s.load.latencyInterval)
        secondService.merge(s.load.serviceInterval)
        for r in s.routes where !r.latencyInterval.isEmpty {
            secondRoutes[r.name, default: LatencyHistogram()].merge(r.latencyInterval)
        }
        latest = s
        if windowMode == .wholeRun { refreshShownSummary() }
        if flash != nil, s.elapsedSeconds >= flashUntil { flash = nil }
    }

    /// The second a snapshot's interval belongs to (by the interval's midpoint).
    static func secondIndex(of s: Snapshot) -> Int {
        Int((s.elapsedSeconds - s.intervalSeconds / 2).rounded(.down))
    }

    static func routeTotals(_ s: Snapshot) -> [String: LoadCounts] {
        var d: [String: LoadCounts] = [:]
        for r in s.routes { d[r.name] = r.total }
        return d
    }

    private mutating func finish(_ acc: SecondAccumulator, end: Snapshot) {
        let dt = max(end.elapsedSeconds - acc.baseElapsed, 0.001)
        let d = end.load.total.since(acc.baseTotal)
        var sample = SecondSample(second: acc.second)
        sample.rate = Double(d.completed) / dt
        sample.offered = acc.ticks > 0 ? acc.offeredSum / Double(acc.ticks) : 0
        sample.p50 = secondCorrected.percentile(50)
        sample.p99 = secondCorrected.percentile(99)
        sample.errorsPerSecond = Double(d.errors) / dt
        sample.errorRate = d.finished == 0 ? 0 : Double(d.errors) / Double(d.finished)
        for (status, n) in d.statusCounts where (100...599).contains(status) {
            sample.statusPerSecond[status / 100 - 1] += Double(n) / dt
        }
        for (i, kind) in TransportErrorKind.allCases.enumerated() {
            sample.transportPerSecond[i] = Double(d.transportErrors[kind] ?? 0) / dt
        }
        if let backend = end.backend {
            sample.backend = BackendRates(from: acc.baseBackend, to: backend, seconds: dt)
            serverSecond = ServerView(from: acc.baseBackend, to: backend, seconds: dt)
        } else {
            serverSecond = nil
        }
        seconds.append(sample)

        var routes: [String: RouteSecond] = [:]
        for r in end.routes {
            let rd = r.total.since(acc.baseRouteTotals[r.name] ?? LoadCounts())
            let hist = secondRoutes[r.name]
            routes[r.name] = RouteSecond(
                rate: Double(rd.completed) / dt,
                errorRate: rd.finished == 0 ? 0 : Double(rd.errors) / Double(rd.finished),
                latency: hist?.onePassSummary ?? LatencySummary())
        }
        routeSeconds = routes
        for key in secondRoutes.keys { secondRoutes[key]!.reset() }

        rolling.push(corrected: &secondCorrected, service: &secondService)
        recomputeWindow()
    }

    private mutating func recomputeWindow() {
        (windowCorrected, windowService) = rolling.merged(lastSeconds: windowSeconds)
        refreshShownSummary()
    }

    /// Recomputes `shownSummary` (after the window, its mode or the run's totals changed).
    mutating func refreshShownSummary() {
        let (c, s) = shownLatency
        shownSummary = (c.onePassSummary, s.onePassSummary)
    }

    /// Forgets everything derived from snapshots (after a statistics reset or a new run); view state stays.
    public mutating func clearDerived() {
        seconds.removeAll()
        rolling.removeAll()
        accumulator = nil
        secondCorrected.reset(); secondService.reset()
        secondRoutes.removeAll()
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
        mark = Mark(atSecond: accumulator?.second ?? (all.last?.second ?? -1), baseline: baseline)
        setFlash(baseline.isEmpty ? "mark set (no baseline seconds yet)" : "mark set: baseline = last \(baseline.count)s")
    }
}
