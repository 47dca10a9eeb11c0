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
    /// Response body bytes per request as the backend encoded them (before compression).
    public var bytesPerResponse: Double = 0
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

    /// The change from `start` to `end` over `seconds`. A route absent from `start` counts from zero; a route
    /// whose totals went down (the backend restarted) counts whole (`RouteWork`'s rule).
    public init(from start: BackendSnapshot?, to end: BackendSnapshot, seconds: Double) {
        self.init(work: end.routeWork(since: start), seconds: seconds)
    }

    /// The figures of each route's work over `seconds` (what `SecondFold` keeps per second in `BackendRates.routes`).
    public init(work: [RouteWork], seconds: Double) {
        let dt = max(seconds, 0.001)
        var sum = RouteWork(route: "all routes")
        for w in work {
            if w.requests == 0 {
                backgroundQueriesPerSecond += Double(w.queries) / dt
                continue
            }
            routes.append(ServerRouteFigures(w, seconds: dt))
            sum.add(w)
        }
        routes.sort { a, b in a.requests == b.requests ? a.route < b.route : a.requests > b.requests }
        if sum.requests > 0 { all = ServerRouteFigures(sum, seconds: dt) }
    }
}

extension ServerRouteFigures {
    /// Per-request figures of `work` over `seconds` (work with at least one request).
    init(_ work: RouteWork, seconds: Double) {
        self.init(route: work.route)
        let n = Double(work.requests)
        requests = work.requests
        requestsPerSecond = n / seconds
        queriesPerRequest = Double(work.queries) / n
        dbNanosecondsPerRequest = Double(work.dbNanoseconds) / n
        bytesPerResponse = Double(work.responseBytes) / n
        // The five measured stages; the handler's remainder is "other".
        let measured = Self.stageNames.prefix(5).map { work.stageNanoseconds[$0] ?? 0 }
        let measuredSum = measured.reduce(0, +)
        // The handler total is a mean of a histogram; measured stages never exceed it, so clamp "other" at 0.
        let handler = max(work.handlerNanoseconds, Double(measuredSum))
        handlerNanosecondsPerRequest = handler / n
        for i in 0..<5 { stageNanosecondsPerRequest[i] = Double(measured[i]) / n }
        stageNanosecondsPerRequest[5] = (handler - Double(measuredSum)) / n
    }
}
