/// One second of a run, as `SecondFold` derives it from the snapshots of its ticks: the unit of the console's
/// charts, its A/B comparison and rolling latency window, and of report.json's time series.
public struct SecondSample: Sendable, Equatable {
    /// The second this sample covers: elapsed run time [second, second + 1) by `SecondFold`'s boundary rule.
    public var second: Int
    /// Seconds the sample really covers, the divisor of its rates (about 1; less for a run's first or last second).
    public var seconds: Double = 1
    /// Completed responses per second.
    public var rate: Double = 0
    /// Offered (intended) sends per second, averaged over the second's ticks by their length.
    public var offered: Double = 0
    /// Requests in flight at the end of the second.
    public var inFlight = 0
    /// Corrected latency (from the intended send time) and service time (from the actual send) of the responses
    /// completed in the second; empty summaries when nothing completed.
    public var latency = LatencySummary()
    public var service = LatencySummary()
    /// Errors (transport errors plus status ≥ 400) and their fraction of the requests that finished.
    public var errors: UInt64 = 0
    public var errorRate: Double = 0
    /// The part of `errors` the routes do not declare as expected (what a correct server would not answer).
    public var unexpectedErrors: UInt64 = 0
    public var unexpectedErrorRate: Double = 0
    /// Responses per second by status class: index 0 = 1xx … 4 = 5xx.
    public var statusPerSecond: [Double] = [0, 0, 0, 0, 0]
    /// Transport errors per second, indexed like `TransportErrorKind.allCases`.
    public var transportPerSecond: [Double] = Array(repeating: 0, count: TransportErrorKind.allCases.count)
    /// Rates derived from the backend probes' totals; nil when there are no probes.
    public var backend: BackendRates?
    /// What each request-mix route did, by route name (filled only by a fold made with `perRoute`).
    public var routes: [String: RouteSecond] = [:]

    public init(second: Int) { self.second = second }

    public var errorsPerSecond: Double { Double(errors) / seconds }
    public var unexpectedPerSecond: Double { Double(unexpectedErrors) / seconds }
}

/// What one request-mix route did in one second (made by `SecondFold`).
public struct RouteSecond: Sendable, Equatable {
    public var rate: Double
    /// Unexpected errors (those the route does not declare) over the requests that finished.
    public var errorRate: Double
    public var latency: LatencySummary
}
