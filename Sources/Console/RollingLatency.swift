import Metrics

/// The last (up to) 60 one-second latency histograms, corrected and service time, in constant memory:
/// a full ring reuses its slots' storage, so steady state allocates nothing.
struct RollingLatency: Sendable {
    static let capacity = 60
    private var corrected: [LatencyHistogram] = []
    private var service: [LatencyHistogram] = []
    /// Slot of the oldest second once the ring is full.
    private var head = 0

    var count: Int { corrected.count }

    /// Takes the second's histograms; on return both arguments are empty (their storage recycled from the ring).
    mutating func push(corrected c: inout LatencyHistogram, service s: inout LatencyHistogram) {
        if corrected.count < Self.capacity {
            corrected.append(c); service.append(s)
            c = LatencyHistogram(); s = LatencyHistogram()
        } else {
            swap(&corrected[head], &c); swap(&service[head], &s)
            c.reset(); s.reset()
            head = (head + 1) % Self.capacity
        }
    }

    /// The union of the newest `seconds` seconds.
    func merged(lastSeconds seconds: Int) -> (corrected: LatencyHistogram, service: LatencyHistogram) {
        var c = LatencyHistogram(), s = LatencyHistogram()
        let n = min(seconds, count)
        for back in 0..<n {
            let slot = count < Self.capacity ? count - 1 - back : (head - 1 - back + 2 * Self.capacity) % Self.capacity
            c.merge(corrected[slot]); s.merge(service[slot])
        }
        return (c, s)
    }

    mutating func removeAll() {
        corrected.removeAll(); service.removeAll(); head = 0
    }
}
