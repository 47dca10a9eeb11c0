/// The `dependency_io` knob's probe, with the fault the dependency is set to (the `dependency*` fault knobs).
public struct DependencyProbe: Sendable, Equatable {
    public enum IO: String, Sendable, Equatable {
        /// A blocking socket call on the thread handling the request.
        case blocking
        /// The event-loop client: no thread waits.
        case async
    }
    public enum Fault: String, Sendable, Equatable {
        case ok, slow, flaky, hang, reset, down
    }
    public var io: IO = .blocking
    public var fault: Fault = .ok
    /// Calls started and not finished.
    public var inFlight: Int = 0
    /// Threads waiting inside a blocking call now (always 0 with async).
    public var threadsBlocked: Int = 0
    /// Requests the dependency holds unanswered (the hang fault).
    public var heldByDependency: Int = 0
    /// Totals since start.
    public var calls: UInt64 = 0
    public var failures: UInt64 = 0
    public init() {}
}
