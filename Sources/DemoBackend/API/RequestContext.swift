import Metrics

/// What one request carries through the handler and the store: its route (for attribution), the viewer, and where
/// its time went. A value on the handling thread's stack: recording into it costs nothing shared.
struct RequestContext {
    let route: Route
    let metrics: RouteMetrics
    /// Monotonic nanoseconds when the backend got the request.
    let receivedAt: UInt64
    /// The authenticated user, when the request carried a valid token.
    var viewerID: Int64?
    /// SQL statements this request executed, and their total time.
    var dbStatements: UInt64 = 0
    var dbNanoseconds: UInt64 = 0
    /// Nanoseconds per `Stage` (indexed by raw value; a tuple-free fixed set of vars keeps it allocation-free).
    var queueNanoseconds: UInt64 = 0
    var poolNanoseconds: UInt64 = 0
    var cacheNanoseconds: UInt64 = 0
    var encodeNanoseconds: UInt64 = 0

    init(route: Route, metrics: RouteMetrics, receivedAt: UInt64 = MonotonicClock.nanoseconds()) {
        self.route = route
        self.metrics = metrics
        self.receivedAt = receivedAt
    }

    /// Runs `body` with a database connection from `provider`, timing the wait (stage "pool") and the SQL (stage
    /// "db"), and attributing every statement to this request's route (the route's metrics observe the connection
    /// while it is held; the provider clears the observer when the connection goes back).
    mutating func withConnection<T>(_ provider: ConnectionProvider, _ body: (SQLiteConnection) throws -> T) throws -> T {
        let asked = MonotonicClock.nanoseconds()
        var acquired: UInt64 = 0
        var before = QueryStatistics()
        var after = QueryStatistics()
        let metrics = self.metrics
        let result: Result<T, any Error>
        do {
            result = .success(try provider.withConnection { connection in
                acquired = MonotonicClock.nanoseconds()
                connection.observer = metrics
                before = connection.statistics
                defer { after = connection.statistics }
                return try body(connection)
            })
        } catch {
            result = .failure(error)
        }
        poolNanoseconds &+= (acquired != 0 ? acquired : MonotonicClock.nanoseconds()) &- asked
        dbStatements &+= after.statements &- before.statements
        dbNanoseconds &+= after.totalNanoseconds &- before.totalNanoseconds
        switch result {
        case .success(let value):
            return value
        case .failure(PoolError.timeout):
            throw APIError.unavailable("timed out waiting for a database connection")
        case .failure(PoolError.tooManyWaiters):
            throw APIError.unavailable("too many requests waiting for a database connection")
        case .failure(let error):
            throw error
        }
    }

    /// Adds this request's stage times to its route's totals.
    func recordStages(total: UInt64) {
        metrics.recordStage(.queue, nanoseconds: queueNanoseconds)
        metrics.recordStage(.pool, nanoseconds: poolNanoseconds)
        metrics.recordStage(.cache, nanoseconds: cacheNanoseconds)
        metrics.recordStage(.db, nanoseconds: dbNanoseconds)
        metrics.recordStage(.encode, nanoseconds: encodeNanoseconds)
    }
}
