/// Folds the snapshots of a run's ticks into one `SecondSample` per second. The console and report.json both take
/// their per-second figures from here, so a chart on screen and a report bin the same ticks the same way.
///
/// **Where a second begins.** A snapshot covers its tick, the elapsed run time (elapsed − interval, elapsed]. It
/// belongs to the second that holds the middle of that span: `floor(elapsed − interval / 2)` (`second(of:)`). So
/// a tick that ends on a second boundary, or a little after it because the tick thread woke late, counts in the
/// second it mostly covered. A second is complete when the first snapshot of a later second arrives; `finish()`
/// completes the one in progress (a run's last, partial second).
///
/// **Counts and rates come from totals**: a second's count is its last snapshot's total minus the total where the
/// previous second ended (so a snapshot the reader missed loses nothing), over the time between those two
/// snapshots. A total that went down — the statistics were reset, or the backend restarted — counts anew from
/// zero (`UInt64.increase(since:)`). Latency comes from the interval histograms of the snapshots folded in.
///
/// Constant work per snapshot. The latency histograms are reused: the fold keeps the second in progress and the
/// last completed one (`completedCorrected`, `completedService`), and what a reader swaps in for those is reset
/// and reused, so a steady run allocates none.
public struct SecondFold: Sendable {
    /// Whether samples carry per-route figures (`SecondSample.routes`, `BackendRates.routes`): the console shows
    /// them; the report keeps only run-wide rows.
    public let perRoute: Bool
    /// The second in progress (nil before the first snapshot, or right after `finish()`).
    public private(set) var secondInProgress: Int?
    /// The corrected and service latency of the last completed second (empty before one). Take them by swapping
    /// (e.g. into a ring of seconds); whatever is swapped back is reset before the fold uses it again.
    public var completedCorrected = LatencyHistogram()
    public var completedService = LatencyHistogram()

    /// Where the second in progress began: the snapshot that ended the previous one.
    private var start: Start?
    /// The newest snapshot folded in (where the second in progress ends so far).
    private var last: Snapshot?
    private var ticks = 0
    private var offeredTimesSeconds = 0.0
    private var tickSeconds = 0.0
    private var offeredSum = 0.0
    private var corrected = LatencyHistogram()
    private var service = LatencyHistogram()
    private var routeLatency: [String: LatencyHistogram] = [:]

    private struct Start: Sendable {
        var elapsed: Double
        var total: LoadCounts
        var routeTotals: [String: LoadCounts]
        var backend: BackendSnapshot?

        /// At the end of `s`.
        init(after s: Snapshot) {
            elapsed = s.elapsedSeconds
            total = s.load.total
            routeTotals = Dictionary(s.routes.map { ($0.name, $0.total) }, uniquingKeysWith: { a, _ in a })
            backend = s.backend
        }

        /// At the start of `s`'s interval: its totals minus its interval (the backend has no interval: its totals
        /// at the end of `s` are the base).
        init(before s: Snapshot) {
            elapsed = s.elapsedSeconds - s.intervalSeconds
            total = s.load.total.since(s.load.interval)
            routeTotals = Dictionary(s.routes.map { ($0.name, $0.total.since($0.interval)) }, uniquingKeysWith: { a, _ in a })
            backend = s.backend
        }
    }

    public init(perRoute: Bool = false) { self.perRoute = perRoute }

    /// The second a snapshot belongs to: the one holding the middle of its interval.
    public static func second(of s: Snapshot) -> Int {
        Int((s.elapsedSeconds - s.intervalSeconds / 2).rounded(.down))
    }

    /// Folds one snapshot in; returns the second it completed, if any.
    public mutating func add(_ s: Snapshot) -> SecondSample? {
        let index = Self.second(of: s)
        var completed: SecondSample?
        if let current = secondInProgress, index > current { completed = complete() }
        if start == nil { start = Start(before: s) }
        // A snapshot whose middle falls in an earlier second (ticks of uneven length) stays in the current one.
        secondInProgress = max(secondInProgress ?? index, index)
        ticks += 1
        offeredSum += s.load.offeredRate
        offeredTimesSeconds += s.load.offeredRate * s.intervalSeconds
        tickSeconds += s.intervalSeconds
        corrected.merge(s.load.latencyInterval)
        service.merge(s.load.serviceInterval)
        if perRoute {
            for r in s.routes where !r.latencyInterval.isEmpty {
                routeLatency[r.name, default: LatencyHistogram()].merge(r.latencyInterval)
            }
        }
        last = s
        return completed
    }

    /// Completes the second in progress now (nil when nothing was folded since the last one); the next snapshot
    /// starts a new second from where this one ended.
    public mutating func finish() -> SecondSample? { complete() }

    /// Forgets everything and starts from `base`: the next second counts from its totals and its end, and its own
    /// interval is not counted (for the snapshot on which a run's statistics were reset, as warm-up ends).
    public mutating func begin(at base: Snapshot) {
        self = SecondFold(perRoute: perRoute)
        start = Start(after: base)
    }

    private mutating func complete() -> SecondSample? {
        guard let second = secondInProgress, let start, let end = last, ticks > 0 else { return nil }
        let dt = max(end.elapsedSeconds - start.elapsed, 0.001)
        let d = end.load.total.since(start.total)
        var sample = SecondSample(second: second)
        sample.seconds = dt
        sample.rate = Double(d.completed) / dt
        // Averaged by tick length; by tick count only when the ticks claim no length at all.
        sample.offered = tickSeconds > 0 ? offeredTimesSeconds / tickSeconds : offeredSum / Double(ticks)
        sample.inFlight = end.load.inFlight
        sample.latency = corrected.summary
        sample.service = service.summary
        sample.errors = d.errors
        sample.errorRate = d.finished == 0 ? 0 : Double(d.errors) / Double(d.finished)
        sample.unexpectedErrors = d.unexpectedErrors
        sample.unexpectedErrorRate = d.finished == 0 ? 0 : Double(d.unexpectedErrors) / Double(d.finished)
        for (status, n) in d.statusCounts where (100...599).contains(status) {
            sample.statusPerSecond[status / 100 - 1] += Double(n) / dt
        }
        for (i, kind) in TransportErrorKind.allCases.enumerated() {
            sample.transportPerSecond[i] = Double(d.transportErrors[kind] ?? 0) / dt
        }
        if let backend = end.backend {
            sample.backend = BackendRates(from: start.backend, to: backend, seconds: dt, keepRoutes: perRoute)
        }
        if perRoute {
            for r in end.routes {
                let rd = r.total.since(start.routeTotals[r.name] ?? LoadCounts())
                sample.routes[r.name] = RouteSecond(
                    rate: Double(rd.completed) / dt,
                    errorRate: rd.finished == 0 ? 0 : Double(rd.unexpectedErrors) / Double(rd.finished),
                    latency: routeLatency[r.name]?.summary ?? LatencySummary())
            }
            for name in routeLatency.keys { routeLatency[name]!.reset() }
        }

        swap(&corrected, &completedCorrected)
        swap(&service, &completedService)
        corrected.reset(); service.reset()
        self.start = Start(after: end)
        secondInProgress = nil
        ticks = 0
        offeredSum = 0; offeredTimesSeconds = 0; tickSeconds = 0
        return sample
    }
}
