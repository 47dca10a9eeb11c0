import Metrics

/// The server's own view of one backend route over an interval, per request: how many requests, how much DB work,
/// and where the time went inside the backend. Built by `ServerView` from two successive backend snapshots.
public struct ServerRouteFigures: Sendable, Equatable {
    /// The stages of the breakdown, in bar order: the backend's five measured stages, then everything else in the
    /// handler ("other": routing, business logic, the unmeasured "write" hand-off).
    public static let stageNames = ["queue", "pool", "cache", "db", "encode", "other"]
    /// One letter per stage for the stacked bar and its legend (readable without colour and in ASCII).
    public static let stageLetters: [Character] = ["q", "p", "c", "d", "e", "o"]

    /// The backend's route template ("GET /api/articles"), or "all routes".
    public var route: String
    public var requests: UInt64 = 0
    public var requestsPerSecond: Double = 0
    public var queriesPerRequest: Double = 0
    /// Time spent executing SQL (the DB probe's own sum), per request.
    public var dbNanosecondsPerRequest: Double = 0
    /// Mean time from the server handing the request over to the response being ready, per request.
    public var handlerNanosecondsPerRequest: Double = 0
    /// Nanoseconds per request by stage, indexed like `stageNames` (always 6 values).
    public var stageNanosecondsPerRequest: [Double] = Array(repeating: 0, count: 6)

    public init(route: String) { self.route = route }

    /// Each stage's share of the handler time (0...1, summing to 1 when anything was measured).
    public var stageShares: [Double] {
        let total = stageNanosecondsPerRequest.reduce(0, +)
        return stageNanosecondsPerRequest.map { total > 0 ? $0 / total : 0 }
    }
}

/// The per-route server figures of one interval (the console computes one per completed second).
public struct ServerView: Sendable, Equatable {
    /// Routes that served at least one request in the interval, busiest first (ties by name).
    public var routes: [ServerRouteFigures] = []
    /// Every route together (nil when no route served a request).
    public var all: ServerRouteFigures?
    /// SQL per second run outside any request (the backend's "background" route: jobs, index builds).
    public var backgroundQueriesPerSecond: Double = 0

    public init() {}

    /// The change from `start` to `end` over `seconds`. A route absent from `start` counts from zero; a counter
    /// that went down (the backend restarted) is taken whole.
    public init(from start: BackendSnapshot?, to end: BackendSnapshot, seconds: Double) {
        let dt = max(seconds, 0.001)
        var sum = Totals()
        for probe in end.routes {
            let before = start?.routes.first(where: { $0.route == probe.route })
            let d = Totals(probe).since(before.map(Totals.init))
            if d.requests == 0 {
                backgroundQueriesPerSecond += Double(d.queries) / dt
                continue
            }
            routes.append(d.figures(route: probe.route, seconds: dt))
            sum.add(d)
        }
        routes.sort { a, b in a.requests == b.requests ? a.route < b.route : a.requests > b.requests }
        if sum.requests > 0 { all = sum.figures(route: "all routes", seconds: dt) }
    }

    /// A route's counters as plain sums (the handler time from the latency summary's exact mean × count).
    private struct Totals {
        var requests: UInt64 = 0
        var queries: UInt64 = 0
        var dbNanoseconds: UInt64 = 0
        var handlerNanoseconds: Double = 0
        /// queue, pool, cache, db, encode.
        var stages: [UInt64] = [0, 0, 0, 0, 0]

        init() {}

        init(_ p: BackendRouteProbe) {
            requests = p.requests
            queries = p.dbQueries
            dbNanoseconds = p.dbNanoseconds
            handlerNanoseconds = p.latency.mean * Double(p.latency.count)
            for i in 0..<5 { stages[i] = p.stageNanoseconds[ServerRouteFigures.stageNames[i]] ?? 0 }
        }

        /// `self − earlier`; the whole of `self` when the backend restarted in between.
        func since(_ earlier: Totals?) -> Totals {
            guard let e = earlier, requests >= e.requests, queries >= e.queries else { return self }
            var d = Totals()
            d.requests = requests - e.requests
            d.queries = queries - e.queries
            d.dbNanoseconds = dbNanoseconds >= e.dbNanoseconds ? dbNanoseconds - e.dbNanoseconds : dbNanoseconds
            d.handlerNanoseconds = max(handlerNanoseconds - e.handlerNanoseconds, 0)
            for i in 0..<5 { d.stages[i] = stages[i] >= e.stages[i] ? stages[i] - e.stages[i] : stages[i] }
            return d
        }

        mutating func add(_ o: Totals) {
            requests += o.requests; queries += o.queries; dbNanoseconds += o.dbNanoseconds
            handlerNanoseconds += o.handlerNanoseconds
            for i in 0..<5 { stages[i] += o.stages[i] }
        }

        func figures(route: String, seconds: Double) -> ServerRouteFigures {
            var f = ServerRouteFigures(route: route)
            let n = Double(requests)
            f.requests = requests
            f.requestsPerSecond = n / seconds
            f.queriesPerRequest = Double(queries) / n
            f.dbNanosecondsPerRequest = Double(dbNanoseconds) / n
            let measured = stages.reduce(0, +)
            // The handler total is a mean of a histogram; measured stages never exceed it, so clamp "other" at 0.
            let handler = max(handlerNanoseconds, Double(measured))
            f.handlerNanosecondsPerRequest = handler / n
            for i in 0..<5 { f.stageNanosecondsPerRequest[i] = Double(stages[i]) / n }
            f.stageNanosecondsPerRequest[5] = (handler - Double(measured)) / n
            return f
        }
    }
}
