/// What one tick of a run looked like: the only thing the console and the headless reporter read.
///
/// An aggregator builds one every tick (default 100 ms) from the recorders of the load workers and the backend's
/// probes. "Interval" fields cover the last tick; "total" fields everything since the run (or the last statistics
/// reset) began. Snapshots are immutable values; holding one never blocks a recorder.
public struct Snapshot: Sendable {
    /// Increases by one per tick.
    public var sequence: Int
    /// Seconds since the run started (warm-up included).
    public var elapsedSeconds: Double
    /// Seconds covered by the interval fields.
    public var intervalSeconds: Double
    public var phase: RunPhase
    public var paused: Bool
    public var load: LoadSnapshot
    /// Per request-mix route, in mix order.
    public var routes: [RouteSnapshot]
    /// The backend's own view (probes); nil when the target is external or has no probes.
    public var backend: BackendSnapshot?
    /// Everything that happened to the run (knob changes, pauses, rate changes, resets), oldest first.
    public var events: [TimelineEvent]

    public init(sequence: Int = 0, elapsedSeconds: Double = 0, intervalSeconds: Double = 0, phase: RunPhase = .warmup,
                paused: Bool = false, load: LoadSnapshot = LoadSnapshot(), routes: [RouteSnapshot] = [],
                backend: BackendSnapshot? = nil, events: [TimelineEvent] = []) {
        self.sequence = sequence; self.elapsedSeconds = elapsedSeconds; self.intervalSeconds = intervalSeconds
        self.phase = phase; self.paused = paused; self.load = load; self.routes = routes
        self.backend = backend; self.events = events
    }
}

public enum RunPhase: String, Sendable, Codable {
    case starting, warmup, measuring, finished
}

/// How load is offered.
public enum LoadModel: Sendable, Equatable {
    /// Requests arrive on a schedule regardless of responses (wrk2, k6 arrival-rate); current rate per second.
    case open(ratePerSecond: Double)
    /// N virtual users, each sending its next request after the previous response plus think time.
    case closed(users: Int, thinkTimeSeconds: Double)
}

/// Why a request failed below HTTP (an HTTP status, even 5xx, is a response, counted in `statusCounts`).
public enum TransportErrorKind: String, Sendable, Codable, CaseIterable {
    case refused        // connection refused
    case reset          // connection reset / closed mid-response
    case timeout        // connect or response timeout
    case badResponse    // unparsable response
    case other          // anything else (EMFILE, address errors, ...)
}

/// Request outcome counts over some span.
public struct LoadCounts: Sendable, Equatable {
    public var sent: UInt64 = 0
    public var completed: UInt64 = 0
    /// Transport errors plus responses with status ≥ 400.
    public var errors: UInt64 = 0
    /// The part of `errors` a correct server would not produce: transport errors and statuses ≥ 400 that the
    /// route does not declare as expected (a profile route's `expect`, e.g. 409 on a repeated write).
    public var unexpectedErrors: UInt64 = 0
    public var statusCounts: [Int: UInt64] = [:]
    public var transportErrors: [TransportErrorKind: UInt64] = [:]
    /// Bytes on the wire: response heads and bodies as sent (compressed when the server compressed).
    public var bytesReceived: UInt64 = 0
    /// Response body bytes after content decoding (a gzip body counted inflated; others as received).
    public var bytesDecoded: UInt64 = 0
    public init() {}

    public mutating func add(_ other: LoadCounts) {
        sent &+= other.sent
        completed &+= other.completed
        errors &+= other.errors
        unexpectedErrors &+= other.unexpectedErrors
        bytesReceived &+= other.bytesReceived
        bytesDecoded &+= other.bytesDecoded
        for (k, v) in other.statusCounts { statusCounts[k, default: 0] &+= v }
        for (k, v) in other.transportErrors { transportErrors[k, default: 0] &+= v }
    }

    /// errors / (completed + transport errors), 0 when nothing finished.
    public var errorRate: Double {
        let finished = completed + transportErrors.values.reduce(0, +)
        return finished == 0 ? 0 : Double(errors) / Double(finished)
    }

    /// unexpectedErrors / (completed + transport errors), 0 when nothing finished.
    public var unexpectedErrorRate: Double {
        let finished = completed + transportErrors.values.reduce(0, +)
        return finished == 0 ? 0 : Double(unexpectedErrors) / Double(finished)
    }
}

/// Is the load generator itself keeping up? (If not, the figures describe the generator, not the target.)
public struct GeneratorHealth: Sendable, Equatable {
    /// The open-model schedule is behind by more than a tolerance (sends are late).
    public var behindSchedule: Bool = false
    /// How far behind the schedule the latest send was, in seconds.
    public var lagSeconds: Double = 0
    /// What limits the generator itself, when known: "cpu" or "file descriptors" (see `bottleneck`).
    public var limitedBy: String? = nil
    /// Open model: arrivals were due while every connection had a request in flight (waiting on the server).
    public var allConnectionsWaiting: Bool = false
    /// The connections the generator may use (open model: the plan's; closed model: the users).
    public var connections: Int = 0
    /// Connections with a request in flight when the interval ended.
    public var connectionsWaiting: Int = 0
    /// Arrivals due but not sent for lack of a free connection (the largest backlog seen in the interval).
    public var queuedArrivals: Int = 0
    public init() {}
}

public struct LoadSnapshot: Sendable {
    public var model: LoadModel = .open(ratePerSecond: 0)
    /// Intended sends per second in this interval (open model: the schedule; closed model: attempts).
    public var offeredRate: Double = 0
    /// Completed responses per second in this interval.
    public var achievedRate: Double = 0
    public var inFlight: Int = 0
    public var openConnections: Int = 0
    public var interval = LoadCounts()
    public var total = LoadCounts()
    /// Latency from each request's intended send time (coordinated-omission corrected).
    public var latencyInterval = LatencyHistogram()
    public var latencyTotal = LatencyHistogram()
    /// Service time: from the actual send to the response (what most tools report).
    public var serviceInterval = LatencyHistogram()
    public var serviceTotal = LatencyHistogram()
    public var generator = GeneratorHealth()
    public init() {}
}

public struct RouteSnapshot: Sendable {
    public var name: String
    public var interval = LoadCounts()
    public var total = LoadCounts()
    /// Corrected latency of this route in the last interval.
    public var latencyInterval = LatencyHistogram()
    /// Corrected and service latency of this route since the start (or the last reset).
    public var latencyTotal = LatencySummary()
    public var serviceTotal = LatencySummary()
    public init(name: String) { self.name = name }
}

/// Something that happened during a run, for chart markers and reports ("cache → on at 30.2 s").
public struct TimelineEvent: Sendable, Equatable, Codable {
    public var atSeconds: Double
    /// e.g. "knob", "preset", "pause", "resume", "rate", "users", "reset", "mark".
    public var kind: String
    /// e.g. "cache=on".
    public var detail: String
    /// Who made it: "key", "profile", "http", "cli".
    public var source: String
    public init(atSeconds: Double, kind: String, detail: String, source: String) {
        self.atSeconds = atSeconds; self.kind = kind; self.detail = detail; self.source = source
    }
}
