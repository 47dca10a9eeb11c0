/// The server's view of one route: counts, DB work and where the time went inside the backend.
public struct BackendRouteProbe: Sendable, Equatable {
    public var route: String
    public var requests: UInt64 = 0
    public var dbQueries: UInt64 = 0
    public var dbNanoseconds: UInt64 = 0
    /// Response body bytes as encoded (before compression), summed over requests.
    public var responseBytes: UInt64 = 0
    /// Total nanoseconds spent per stage ("queue", "pool", "cache", "db", "encode", "write"), summed over requests.
    public var stageNanoseconds: [String: UInt64] = [:]
    public var latency = LatencySummary()
    public init(route: String) { self.route = route }
    public var queriesPerRequest: Double { requests == 0 ? 0 : Double(dbQueries) / Double(requests) }
}
