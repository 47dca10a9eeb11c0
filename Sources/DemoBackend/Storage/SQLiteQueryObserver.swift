import Glibc

/// Told about every SQL statement a connection executes (for `dyno_db_queries_total{route}` and
/// `dyno_db_query_duration_seconds`).
///
/// Called on the thread that runs the statement, synchronously, once per execution: keep it cheap (an atomic add and
/// a histogram record). The API layer sets `SQLiteConnection.observer` per request to attribute queries to a route.
public protocol QueryObserver: Sendable {
    /// - Parameters:
    ///   - sql: the statement text (the cached string: passing it allocates nothing).
    ///   - nanoseconds: time from the first `sqlite3_step` to done/reset (for `execute`, prepare + step).
    func statementExecuted(sql: String, nanoseconds: UInt64)
}

/// Per-connection running totals of executed statements; read and reset them per request if an observer is not wanted.
public struct QueryStatistics: Sendable, Equatable {
    /// Statements executed (each prepared-statement run, each statement of an `execute`, BEGIN/COMMIT included).
    public var statements: UInt64 = 0
    /// Sum of their durations.
    public var totalNanoseconds: UInt64 = 0

    public init() {}

    @inlinable
    mutating func record(nanoseconds: UInt64) {
        statements &+= 1
        totalNanoseconds &+= nanoseconds
    }
}

/// CLOCK_MONOTONIC in nanoseconds: a vDSO call, no allocation.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
