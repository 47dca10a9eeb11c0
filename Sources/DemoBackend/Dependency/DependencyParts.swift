import HTTP
import Metrics
import Synchronization

/// The machinery around the "recommendations" dependency, built once per backend: the service itself (in-process, on
/// its own loopback port; its faults are the `dependency*` knobs), the event-loop client of `dependency_io=async`, the
/// circuit breaker of `breaker=on`, and a small pool where routes continue after an async answer (the client's loop
/// thread must only move bytes, never wait on SQLite).
final class DependencyParts: Sendable {
    static let name = "recommendations"
    /// Breaker state changes kept for the probe (the panel's state timeline, the run's timeline events).
    static let keptTransitions = 32

    let service: RecommendationsService
    let eventLoop: EventLoopHTTPClient
    let breaker: DependencyBreaker
    let client: DependencyClient
    let continuations: WorkerPool
    private let log: TransitionLog

    /// Starts the service on a free loopback port and the client's loop thread.
    init(articleCount: Int64, faults: DependencyFaults, breakerConfiguration: CircuitBreakerConfiguration = .init()) throws {
        let service = RecommendationsService(articleCount: articleCount, faults: faults)
        try service.start()
        self.service = service
        eventLoop = try EventLoopHTTPClient()
        let log = TransitionLog()
        self.log = log
        breaker = DependencyBreaker(dependency: Self.name, configuration: breakerConfiguration,
                                    onTransition: { log.append($0) })
        client = DependencyClient(port: { service.port }, breaker: breaker, eventLoop: eventLoop)
        // Two threads: continuations are short (a few cached reads or one insert); the bound keeps a burst of answers
        // from becoming a burst of threads.
        continuations = WorkerPool(threads: 2, capacity: 4096, name: "dyno.dependency")
    }

    var transitions: [BreakerProbe.Transition] { log.recent }

    func stop() {
        eventLoop.shutdown()
        continuations.stop()
        service.stop()
    }

    /// The breaker's state changes, numbered, the most recent `keptTransitions` of them.
    final class TransitionLog: Sendable {
        private let state = Mutex<(next: UInt64, recent: [BreakerProbe.Transition])>((1, []))

        func append(_ transition: CircuitBreaker.Transition) {
            state.withLock { s in
                s.recent.append(BreakerProbe.Transition(sequence: s.next, atNanoseconds: transition.atNanoseconds,
                                                        from: transition.from.probeState, to: transition.to.probeState))
                s.next += 1
                if s.recent.count > DependencyParts.keptTransitions { s.recent.removeFirst() }
            }
        }

        var recent: [BreakerProbe.Transition] { state.withLock { $0.recent } }
    }
}

extension CircuitBreaker.State {
    var probeState: BreakerProbe.State {
        switch self {
        case .closed: .closed
        case .open: .open
        case .halfOpen: .halfOpen
        }
    }
}
