import Metrics

/// What the session needs from a load generator. The real one adapts `LoadGenerator.LoadGenerator`;
/// tests use a scripted fake.
public protocol LoadDriver: AnyObject, Sendable {
    /// Harvests parameters and creates sessions; throws a clear error when the target is unreachable.
    func prepare() throws
    /// Begins sending ("time zero" of the schedule).
    func start()
    /// Interval and running totals since the last reset, per route in mix order.
    func collect() -> (load: LoadSnapshot, routes: [RouteSnapshot])
    /// Stops sending, waits briefly for in-flight requests, joins threads.
    func stop()
    func pause()
    func resume()
    /// Open model: the current arrival rate (overrides the schedule from now on).
    func setRate(_ perSecond: Double)
    /// Closed model: the number of virtual users.
    func setUsers(_ users: Int)
    /// Forgets totals (the next collect starts from zero).
    func resetStatistics()
    /// Each route's whole latency histograms as of the last `collect()` (for reports that merge exactly).
    func routeTotalHistograms() -> [RouteHistograms]
}

extension LoadDriver {
    /// A driver without per-route histograms (reports then carry the summaries only).
    public func routeTotalHistograms() -> [RouteHistograms] { [] }
}
