/// A route's whole-run latency histograms (the snapshots carry only their summaries, to keep ticks cheap):
/// taken once at the end of a run, for reports that must merge exactly.
public struct RouteHistograms: Sendable, Equatable {
    public var name: String
    /// Corrected latency (from the intended send time) and service time (from the actual send).
    public var latency: LatencyHistogram
    public var service: LatencyHistogram
    public init(name: String, latency: LatencyHistogram = LatencyHistogram(), service: LatencyHistogram = LatencyHistogram()) {
        self.name = name; self.latency = latency; self.service = service
    }
}
