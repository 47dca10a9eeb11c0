/// Who limits a run when the open-model schedule falls behind: the generator itself, or the server it waits on.
///
/// The generator is the bottleneck only when its own resources limit it (a worker thread busy nearly all the
/// time, or sockets refused for lack of file descriptors). When every connection has a request in flight and
/// arrivals are still due, the generator is waiting on the server: the server is saturated, and the arrivals
/// queued in the generator are its queue (their wait counts in the corrected latency, as it should).
public enum LoadBottleneck: Sendable, Equatable {
    /// On schedule.
    case none
    /// The generator's own CPU or file descriptors limit it: the figures describe the generator.
    case generator(limitedBy: String, lagSeconds: Double)
    /// Every connection is waiting on the server; `queued` arrivals wait for a free connection.
    case serverSaturated(waiting: Int, connections: Int, queued: Int, lagSeconds: Double)
    /// Behind schedule with neither its CPU, descriptors nor connections at their limit (e.g. a busy machine
    /// delaying its threads).
    case behindSchedule(lagSeconds: Double)
}

extension GeneratorHealth {
    /// The limits that make the generator itself the bottleneck (`limitedBy` values).
    public static let ownLimits: Set<String> = ["cpu", "file descriptors"]

    /// Who limits the run, from this interval's figures. Pure: no clock, no I/O.
    public var bottleneck: LoadBottleneck {
        if let limit = limitedBy, Self.ownLimits.contains(limit) {
            return .generator(limitedBy: limit, lagSeconds: lagSeconds)
        }
        if behindSchedule && allConnectionsWaiting {
            return .serverSaturated(waiting: connectionsWaiting, connections: connections, queued: queuedArrivals,
                                    lagSeconds: lagSeconds)
        }
        if behindSchedule { return .behindSchedule(lagSeconds: lagSeconds) }
        return .none
    }
}

extension LoadBottleneck {
    /// One sentence for the console header and the reports; nil when on schedule. `duration` formats seconds.
    public func message(duration: (Double) -> String) -> String? {
        switch self {
        case .none:
            return nil
        case .generator(let limit, let lag):
            return "generator is the bottleneck: limited by \(limit), behind schedule by \(duration(lag))"
        case .serverSaturated(let waiting, let connections, let queued, _):
            return "server saturated: \(waiting)/\(connections) connections waiting, \(queued) requests queued"
                + " (their wait counts in corrected latency)"
        case .behindSchedule(let lag):
            return "generator behind schedule by \(duration(lag)) (not limited by its CPU, descriptors or connections)"
        }
    }

    /// A few words for the `dyno run` progress line; nil when on schedule.
    public var tag: String? {
        switch self {
        case .none: return nil
        case .generator(let limit, _): return "[generator bottleneck: \(limit)]"
        case .serverSaturated(let waiting, let connections, let queued, _):
            return "[server saturated: \(waiting)/\(connections) waiting, \(queued) queued]"
        case .behindSchedule: return "[generator behind]"
        }
    }
}
