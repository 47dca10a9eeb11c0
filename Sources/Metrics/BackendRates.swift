/// The backend's probe totals turned into figures over one interval (one second of a `SecondFold`): rates of its
/// counters, the gauges at the interval's end, and what each route did. Totals that went down count anew
/// (`UInt64.increase(since:)`).
public struct BackendRates: Sendable, Equatable {
    /// Seconds the interval covers (the divisor of every rate).
    public var seconds: Double = 1
    public var rssBytes: UInt64?
    /// Anonymous and file-backed RSS, heap in use (nil without a memory probe).
    public var rssAnonBytes: UInt64?
    public var rssFileBytes: UInt64?
    public var heapInUseBytes: UInt64?
    /// Cache hits / lookups in the interval (nil: no lookups, or no cache probe).
    public var cacheHitRate: Double?
    public var cacheEvictionsPerSecond: Double = 0
    public var cacheQueriesSavedPerSecond: Double = 0
    /// Connections in use at the interval's end (nil: no pool probe).
    public var poolInUse: Int?
    public var poolAcquiresPerSecond: Double = 0
    public var poolTimeoutsPerSecond: Double = 0
    public var jobsQueueDepth: Int?
    public var jobsCompletedPerSecond: Double = 0
    public var jobsFailedPerSecond: Double = 0
    /// Rejected calls per second by dependency.
    public var breakerRejectedPerSecond: [String: Double] = [:]
    /// DB statements per second over every route (requests or not), and per request (nil: no requests).
    public var queriesPerSecond: Double = 0
    public var queriesPerRequest: Double?
    /// What each backend route did, in the backend's route order (kept only when the fold was asked to).
    public var routes: [RouteWork] = []

    public init() {}

    /// The change from `start` (nil: counts from zero) to `end` over `seconds`; `keepRoutes` keeps `routes`.
    public init(from start: BackendSnapshot?, to end: BackendSnapshot, seconds: Double, keepRoutes: Bool = false) {
        let dt = max(seconds, 0.001)
        func perSecond(_ now: UInt64, _ before: UInt64?) -> Double { Double(now.increase(since: before)) / dt }
        self.seconds = dt
        rssBytes = end.rssBytes
        if let memory = end.memory, memory.rssAnonBytes > 0 {
            rssAnonBytes = memory.rssAnonBytes
            rssFileBytes = memory.rssFileBytes
            heapInUseBytes = memory.heapInUseBytes
        }
        if let cache = end.cache {
            let hits = cache.hits.increase(since: start?.cache?.hits)
            let lookups = hits + cache.misses.increase(since: start?.cache?.misses)
            cacheHitRate = lookups > 0 ? Double(hits) / Double(lookups) : nil
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
            let work = end.routeWork(since: start)
            var all = RouteWork(route: "all routes")
            for w in work { all.add(w) }
            queriesPerSecond = Double(all.queries) / dt
            queriesPerRequest = all.requests > 0 ? Double(all.queries) / Double(all.requests) : nil
            if keepRoutes { routes = work }
        }
    }
}

/// What one backend route did over an interval, from two of its `BackendRouteProbe`s: requests, SQL statements,
/// and where the handler's time went.
public struct RouteWork: Sendable, Equatable {
    /// The backend's route template ("GET /api/articles"), or a name for a sum of routes.
    public var route: String
    public var requests: UInt64 = 0
    public var queries: UInt64 = 0
    /// Time spent executing SQL (the DB probe's own sum).
    public var dbNanoseconds: UInt64 = 0
    /// Time from the server handing a request over to its response being ready, summed over the requests (from
    /// the latency summary's exact mean × count).
    public var handlerNanoseconds: Double = 0
    /// Time per stage ("queue", "pool", "cache", "db", "encode", "write"), summed over the requests.
    public var stageNanoseconds: [String: UInt64] = [:]
    /// Response body bytes as encoded (before compression), summed over the requests.
    public var responseBytes: UInt64 = 0

    public init(route: String) { self.route = route }

    /// What `end` did since `start` (the same route in an older snapshot; nil: counts from zero). When its request
    /// or query total went down, the backend restarted in between and `end` counts whole.
    public init(from start: BackendRouteProbe?, to end: BackendRouteProbe) {
        route = end.route
        let restarted = start.map { end.requests < $0.requests || end.dbQueries < $0.dbQueries } ?? true
        let before = restarted ? nil : start
        requests = end.requests.increase(since: before?.requests)
        queries = end.dbQueries.increase(since: before?.dbQueries)
        dbNanoseconds = end.dbNanoseconds.increase(since: before?.dbNanoseconds)
        responseBytes = end.responseBytes.increase(since: before?.responseBytes)
        func handler(_ p: BackendRouteProbe) -> Double { p.latency.mean * Double(p.latency.count) }
        handlerNanoseconds = max(handler(end) - (before.map(handler) ?? 0), 0)
        for (stage, ns) in end.stageNanoseconds {
            stageNanoseconds[stage] = ns.increase(since: before?.stageNanoseconds[stage])
        }
    }

    /// Adds `other`'s work to this one (for a total over routes).
    public mutating func add(_ other: RouteWork) {
        requests += other.requests
        queries += other.queries
        dbNanoseconds += other.dbNanoseconds
        responseBytes += other.responseBytes
        handlerNanoseconds += other.handlerNanoseconds
        stageNanoseconds.merge(other.stageNanoseconds, uniquingKeysWith: +)
    }
}

extension BackendSnapshot {
    /// What each route did since `start` (nil: counts from zero), in this snapshot's route order.
    public func routeWork(since start: BackendSnapshot?) -> [RouteWork] {
        routes.map { probe in
            RouteWork(from: start?.routes.first(where: { $0.route == probe.route }), to: probe)
        }
    }
}
