import Synchronization

/// A monotonically increasing count, safe to bump from any thread (one relaxed atomic add).
public final class Counter: Sendable {
    private let storage = Atomic<UInt64>(0)
    public init() {}
    public func increment(by n: UInt64 = 1) { storage.wrappingAdd(n, ordering: .relaxed) }
    public var value: UInt64 { storage.load(ordering: .relaxed) }
}

/// A value that goes up and down (in use, queue depth, bytes), safe to set from any thread.
public final class Gauge: Sendable {
    private let storage = Atomic<Int64>(0)
    public init() {}
    public func set(_ v: Int64) { storage.store(v, ordering: .relaxed) }
    public func add(_ delta: Int64) { storage.wrappingAdd(delta, ordering: .relaxed) }
    public var value: Int64 { storage.load(ordering: .relaxed) }
}

/// A fixed-capacity ring of the most recent values (e.g. one per tick for charts). Memory never grows.
public struct TimeSeries<Element: Sendable>: Sendable {
    public let capacity: Int
    private var storage: [Element] = []
    private var head = 0   // index of the oldest element once full

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    public mutating func append(_ value: Element) {
        if storage.count < capacity {
            storage.append(value)
        } else {
            storage[head] = value
            head = (head + 1) % capacity
        }
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    /// Oldest first.
    public var elements: [Element] {
        storage.count < capacity ? storage : Array(storage[head...] + storage[..<head])
    }
    public var last: Element? {
        guard !storage.isEmpty else { return nil }
        return storage.count < capacity ? storage.last : storage[(head + capacity - 1) % capacity]
    }
    public mutating func removeAll() { storage.removeAll(keepingCapacity: true); head = 0 }
}
