import Metrics

/// One second of a run as the console derives it from successive snapshots: the unit of every chart, of the
/// A/B comparison and of the rolling latency window.
public struct SecondSample: Sendable, Equatable {
    /// floor of the run's elapsed seconds this sample covers.
    public var second: Int
    /// Completed responses per second.
    public var rate: Double = 0
    /// Offered (intended) sends per second, averaged over the second's ticks.
    public var offered: Double = 0
    /// Corrected latency percentiles of the second (0 when nothing completed).
    public var p50: UInt64 = 0
    public var p99: UInt64 = 0
    /// Errors per second (transport errors plus status ≥ 400) and as a fraction of finished requests.
    public var errorsPerSecond: Double = 0
    public var errorRate: Double = 0
    /// Responses per second by status class: index 0 = 1xx … 4 = 5xx.
    public var statusPerSecond: [Double] = [0, 0, 0, 0, 0]
    /// Transport errors per second, indexed like `TransportErrorKind.allCases`.
    public var transportPerSecond: [Double] = Array(repeating: 0, count: TransportErrorKind.allCases.count)
    /// Rates derived from the backend probes' totals; nil when there are no probes.
    public var backend: BackendRates?

    public init(second: Int) { self.second = second }
}

/// Backend probe totals turned into per-second figures over one second.
public struct BackendRates: Sendable, Equatable {
    public var rssBytes: UInt64?
    /// Cache hits / lookups during the second (nil: no lookups or no cache probe).
    public var cacheHitRate: Double?
    public var cacheEvictionsPerSecond: Double = 0
    public var cacheQueriesSavedPerSecond: Double = 0
    public var poolInUse: Int?
    public var poolAcquiresPerSecond: Double = 0
    public var poolTimeoutsPerSecond: Double = 0
    public var jobsQueueDepth: Int?
    public var jobsCompletedPerSecond: Double = 0
    public var jobsFailedPerSecond: Double = 0
    /// Rejected calls per second by dependency.
    public var breakerRejectedPerSecond: [String: Double] = [:]
    /// DB queries per second and per request (all routes), nil without route probes or requests.
    public var queriesPerSecond: Double = 0
    public var queriesPerRequest: Double?

    public init() {}

    /// The change from `start` to `end` over `seconds`.
    init(from start: BackendSnapshot?, to end: BackendSnapshot, seconds: Double) {
        func perSecond(_ a: UInt64, _ b: UInt64?) -> Double {
            let base = b ?? 0
            return a >= base ? Double(a - base) / seconds : Double(a) / seconds   // a drop means a restart: count anew
        }
        rssBytes = end.rssBytes
        if let cache = end.cache {
            let hits = cache.hits &- (start?.cache?.hits ?? 0), misses = cache.misses &- (start?.cache?.misses ?? 0)
            let valid = cache.hits >= (start?.cache?.hits ?? 0) && cache.misses >= (start?.cache?.misses ?? 0)
            cacheHitRate = valid && hits + misses > 0 ? Double(hits) / Double(hits + misses) : nil
            cacheEvictionsPerSecond = perSecond(cache.evictions, start?.cache?.evictions)
            cacheQueriesSavedPerSecond = perSecond(cache.dbQueriesSaved, start?.cache?.dbQueriesSaved)
        }
        if let pool = end.pool {
            poolInUse = pool.inUse
            poolAcquiresPerSecond = perSecond(pool.acquires, start?.pool?.acquires)
            poolTimeoutsPerSecond = perSecond(pool.timeouts, start?.pool?.timeouts)
        }
        if let jobs = end.jobs {
            jobsQueueDepth = jobs.queueDepth
            jobsCompletedPerSecond = perSecond(jobs.completed, start?.jobs?.completed)
            jobsFailedPerSecond = perSecond(jobs.failed, start?.jobs?.failed)
        }
        for breaker in end.breakers {
            let before = start?.breakers.first(where: { $0.dependency == breaker.dependency })?.rejected
            breakerRejectedPerSecond[breaker.dependency] = perSecond(breaker.rejected, before)
        }
        if !end.routes.isEmpty {
            var queries = 0.0, requests = 0.0
            for route in end.routes {
                let before = start?.routes.first(where: { $0.route == route.route })
                queries += perSecond(route.dbQueries, before?.dbQueries) * seconds
                requests += perSecond(route.requests, before?.requests) * seconds
            }
            queriesPerSecond = queries / seconds
            queriesPerRequest = requests > 0 ? queries / requests : nil
        }
    }
}

extension LoadCounts {
    /// `self − earlier`, field by field; when a field went down (statistics were reset) `self` is taken whole.
    func since(_ earlier: LoadCounts) -> LoadCounts {
        if sent < earlier.sent || completed < earlier.completed { return self }
        var d = LoadCounts()
        d.sent = sent - earlier.sent
        d.completed = completed - earlier.completed
        d.errors = errors >= earlier.errors ? errors - earlier.errors : errors
        d.bytesReceived = bytesReceived >= earlier.bytesReceived ? bytesReceived - earlier.bytesReceived : bytesReceived
        for (k, v) in statusCounts {
            let e = earlier.statusCounts[k] ?? 0
            d.statusCounts[k] = v >= e ? v - e : v
        }
        for (k, v) in transportErrors {
            let e = earlier.transportErrors[k] ?? 0
            d.transportErrors[k] = v >= e ? v - e : v
        }
        return d
    }

    /// Requests that finished one way or another: responses plus transport errors.
    var finished: UInt64 { completed + transportErrors.values.reduce(0, +) }
}
