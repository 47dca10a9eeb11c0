/// The `breaker` knob's probe, one per dependency.
public struct BreakerProbe: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        case off, closed, open
        case halfOpen = "half-open"
    }
    public var dependency: String
    public var state: State = .off
    public var failureRate: Double = 0
    public var calls: UInt64 = 0
    public var failures: UInt64 = 0
    public var rejected: UInt64 = 0
    public init(dependency: String) { self.dependency = dependency }
}
