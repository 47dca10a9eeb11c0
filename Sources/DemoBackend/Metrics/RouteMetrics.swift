import Metrics
import Synchronization

/// Where time goes inside the backend for one request (summed per route for the probe and `/metrics`).
enum Stage: Int, CaseIterable, Sendable {
    /// Waiting for a worker (offloaded serving; zero when handled inline).
    case queue
    /// Waiting for / opening a database connection.
    case pool
    /// Cache lookups (the `cache` knob; zero while it is off or not wired).
    case cache
    /// Executing SQL.
    case db
    /// Writing the JSON body.
    case encode
    /// Handing the response to the server (the server's socket write is not visible from here).
    case write

    var name: String {
        switch self {
        case .queue: "queue"
        case .pool: "pool"
        case .cache: "cache"
        case .db: "db"
        case .encode: "encode"
        case .write: "write"
        }
    }
}

/// The recorders of one route. Every field is an atomic: recording from any serving or worker thread is a few
/// relaxed atomic adds, no lock, no allocation.
///
/// It is also the `QueryObserver` set on a connection while that route's request holds it, so every SQL statement
/// (BEGIN/COMMIT included) is attributed to the route that caused it.
final class RouteMetrics: QueryObserver, Sendable {
    /// Statuses with their own counter; anything else is counted under its class ("2xx"... via `otherSlot`).
    static let trackedStatuses = [200, 201, 204, 400, 401, 403, 404, 405, 413, 422, 500, 503]

    let route: Route
    let template: String
    private let statusCounts: [Counter]
    /// Counts of statuses not in `trackedStatuses`, by status code (bounded: the HTTP status space).
    private let otherStatuses = Mutex<[Int: UInt64]>([:])
    let duration = AtomicLatencyHistogram()
    let dbQueries = Counter()
    /// Response body bytes as encoded (before any compression), summed: bytes per response = this / requests.
    let responseBytes = Counter()
    let dbDuration = AtomicLatencyHistogram()
    private let stageNanos: [Counter]

    init(route: Route) {
        self.route = route
        self.template = route.template
        statusCounts = Self.trackedStatuses.map { _ in Counter() }
        stageNanos = Stage.allCases.map { _ in Counter() }
    }

    /// Counts one finished request.
    func recordRequest(status: Int, nanoseconds: UInt64) {
        duration.record(nanoseconds: nanoseconds)
        if let slot = Self.slot(of: status) {
            statusCounts[slot].increment()
        } else {
            // Rare (unexpected statuses only), so a lock here costs nothing on the hot path.
            otherStatuses.withLock { $0[status, default: 0] += 1 }
        }
    }

    func recordResponseBytes(_ bytes: Int) { responseBytes.increment(by: UInt64(bytes)) }

    func recordStage(_ stage: Stage, nanoseconds: UInt64) {
        if nanoseconds > 0 { stageNanos[stage.rawValue].increment(by: nanoseconds) }
    }

    func statementExecuted(sql: String, nanoseconds: UInt64) {
        dbQueries.increment()
        dbDuration.record(nanoseconds: nanoseconds)
    }

    @inline(__always)
    private static func slot(of status: Int) -> Int? {
        switch status {
        case 200: 0
        case 201: 1
        case 204: 2
        case 400: 3
        case 401: 4
        case 403: 5
        case 404: 6
        case 405: 7
        case 413: 8
        case 422: 9
        case 500: 10
        case 503: 11
        default: nil
        }
    }

    /// (status, count) for every status seen, ascending.
    var statusTotals: [(status: Int, count: UInt64)] {
        var result: [(status: Int, count: UInt64)] = []
        for (i, status) in Self.trackedStatuses.enumerated() {
            let n = statusCounts[i].value
            if n > 0 { result.append((status, n)) }
        }
        for (status, n) in otherStatuses.withLock({ $0 }) { result.append((status, n)) }
        return result.sorted { $0.status < $1.status }
    }

    var requests: UInt64 { duration.count }

    func stageNanoseconds(_ stage: Stage) -> UInt64 { stageNanos[stage.rawValue].value }

    /// This route's probe for `BackendSnapshot`.
    func probe() -> BackendRouteProbe {
        var p = BackendRouteProbe(route: template)
        p.requests = requests
        p.dbQueries = dbQueries.value
        p.dbNanoseconds = dbDuration.sumNanoseconds
        p.responseBytes = responseBytes.value
        for stage in Stage.allCases { p.stageNanoseconds[stage.name] = stageNanoseconds(stage) }
        p.latency = duration.summary
        return p
    }
}

/// The recorders of every route, indexed by `Route.rawValue` (an array lookup per request, no hashing).
final class BackendMetrics: Sendable {
    let routes: [RouteMetrics]

    init() {
        routes = Route.allCases.map(RouteMetrics.init)
    }

    @inline(__always)
    subscript(route: Route) -> RouteMetrics { routes[route.rawValue] }
}
