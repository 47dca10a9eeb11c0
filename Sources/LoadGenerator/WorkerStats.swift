// What a worker records (thread-local, lock-free) and how it hands it to the collector (a tiny mailbox).
import Metrics
import Synchronization

/// One route's figures over some span, recorded by one thread.
struct RouteRecorder: Sendable {
    /// Latency from the intended send time (coordinated-omission corrected).
    var latency = LatencyHistogram()
    /// Service time: from the actual write to the end of the response.
    var service = LatencyHistogram()
    var sent: UInt64 = 0
    var completed: UInt64 = 0
    var errors: UInt64 = 0
    /// Errors the route does not declare as expected (transport errors included).
    var unexpected: UInt64 = 0
    var bytesReceived: UInt64 = 0
    var bytesDecoded: UInt64 = 0
    /// Responses by status code 0...599 (codes outside 100...599 are counted at 0).
    var statuses = [UInt64](repeating: 0, count: 600)
    /// Transport errors by `TransportErrorKind` (in `allCases` order).
    var transport = [UInt64](repeating: 0, count: TransportErrorKind.allCases.count)

    @inline(__always)
    mutating func recordResponse(status: Int, correctedNanos: UInt64, serviceNanos: UInt64, bytes: Int,
                                 decodedBytes: Int, unexpected: Bool) {
        latency.record(nanoseconds: correctedNanos)
        service.record(nanoseconds: serviceNanos)
        completed &+= 1
        bytesReceived &+= UInt64(bytes)
        bytesDecoded &+= UInt64(decodedBytes)
        statuses[(100..<600).contains(status) ? status : 0] &+= 1
        if status >= 400 { errors &+= 1 }
        if unexpected { self.unexpected &+= 1 }
    }

    @inline(__always)
    mutating func recordTransportError(_ kind: TransportErrorKind) {
        transport[kind.index] &+= 1
        errors &+= 1
        unexpected &+= 1
    }

    mutating func merge(_ other: RouteRecorder) {
        latency.merge(other.latency)
        service.merge(other.service)
        sent &+= other.sent
        completed &+= other.completed
        errors &+= other.errors
        unexpected &+= other.unexpected
        bytesReceived &+= other.bytesReceived
        bytesDecoded &+= other.bytesDecoded
        for i in statuses.indices where other.statuses[i] != 0 { statuses[i] &+= other.statuses[i] }
        for i in transport.indices { transport[i] &+= other.transport[i] }
    }

    /// Forgets everything, keeping storage.
    mutating func reset() {
        latency.reset()
        service.reset()
        sent = 0; completed = 0; errors = 0; unexpected = 0; bytesReceived = 0; bytesDecoded = 0
        for i in statuses.indices where statuses[i] != 0 { statuses[i] = 0 }
        for i in transport.indices { transport[i] = 0 }
    }

    var counts: LoadCounts {
        var c = LoadCounts()
        c.sent = sent
        c.completed = completed
        c.errors = errors
        c.unexpectedErrors = unexpected
        c.bytesReceived = bytesReceived
        c.bytesDecoded = bytesDecoded
        for (code, n) in statuses.enumerated() where n != 0 { c.statusCounts[code] = n }
        for (i, kind) in TransportErrorKind.allCases.enumerated() where transport[i] != 0 {
            c.transportErrors[kind] = transport[i]
        }
        return c
    }
}

extension TransportErrorKind {
    /// Position in `allCases` (for fixed-size counter arrays).
    @inline(__always)
    var index: Int {
        switch self {
        case .refused: return 0
        case .reset: return 1
        case .timeout: return 2
        case .badResponse: return 3
        case .other: return 4
        }
    }
}

/// Everything one worker recorded since its last hand-over.
struct WorkerStats: Sendable {
    var routes: [RouteRecorder]
    /// Whether anything was recorded since the last reset.
    var dirty = false
    /// Nanoseconds the loop spent working (not waiting in epoll) and in total.
    var busyNanos: UInt64 = 0
    var elapsedNanos: UInt64 = 0
    /// Largest schedule lag seen (open model), ns.
    var maxLagNanos: UInt64 = 0
    /// Times arrivals were due while every connection was busy (open model).
    var connectionStarved: UInt64 = 0
    /// Socket creation failures for lack of file descriptors (EMFILE/ENFILE).
    var descriptorFailures: UInt64 = 0
    /// Largest backlog of due arrivals waiting for a free connection (open model).
    var maxQueued = 0

    init(routeCount: Int) {
        routes = Array(repeating: RouteRecorder(), count: routeCount)
    }

    mutating func merge(_ other: WorkerStats) {
        for i in routes.indices { routes[i].merge(other.routes[i]) }
        dirty = dirty || other.dirty
        busyNanos &+= other.busyNanos
        elapsedNanos &+= other.elapsedNanos
        maxLagNanos = max(maxLagNanos, other.maxLagNanos)
        connectionStarved &+= other.connectionStarved
        descriptorFailures &+= other.descriptorFailures
        maxQueued = max(maxQueued, other.maxQueued)
    }

    mutating func reset() {
        guard dirty || busyNanos != 0 || elapsedNanos != 0 else { return }
        for i in routes.indices { routes[i].reset() }
        dirty = false
        busyNanos = 0; elapsedNanos = 0; maxLagNanos = 0; connectionStarved = 0; descriptorFailures = 0; maxQueued = 0
    }
}

/// The hand-over point between one worker and the collector, plus the worker's live gauges.
///
/// The worker records into its own `WorkerStats` without locks; every few milliseconds it moves them here under a
/// mutex held for an O(1) swap (or a merge when the collector has not taken the previous batch yet). The collector
/// swaps the pending batch out the same way, so neither side allocates in steady state.
final class WorkerMailbox: Sendable {
    let pending: Mutex<WorkerStats>
    /// Requests written or being connected and not yet answered.
    let inFlight = Atomic<Int>(0)
    /// Connected sockets.
    let openConnections = Atomic<Int>(0)
    /// Set when the worker thread has finished (after its final hand-over).
    let finished = Atomic<Bool>(false)

    init(routeCount: Int) {
        pending = Mutex(WorkerStats(routeCount: routeCount))
    }

    /// Called by the worker: hands over `local` and leaves it empty.
    func deliver(_ local: inout WorkerStats) {
        pending.withLock { box in
            if !box.dirty && box.elapsedNanos == 0 {
                swap(&box, &local)
            } else {
                box.merge(local)
            }
        }
        local.reset()
    }

    /// Called by the collector: takes the pending batch into `spare` (which must be empty) and leaves an empty one.
    func take(into spare: inout WorkerStats) {
        pending.withLock { box in swap(&box, &spare) }
    }
}
