/// The backend's own view (probes), one per tick: each knob unit fills its typed probe. All counts are totals since
/// the backend started; consumers derive rates by differencing two snapshots.
public struct BackendSnapshot: Sendable {
    public var rssBytes: UInt64? = nil
    public var cache: CacheProbe? = nil
    public var pool: PoolProbe? = nil
    public var serving: ServingProbe? = nil
    public var jobs: JobsProbe? = nil
    public var encoding: EncodingProbe? = nil
    public var compression: CompressionProbe? = nil
    public var paging: PagingProbe? = nil
    public var memory: MemoryProbe? = nil
    public var breakers: [BreakerProbe] = []
    public var dependency: DependencyProbe? = nil
    public var routes: [BackendRouteProbe] = []
    /// Live index create/drop in progress: 0...1, nil when idle.
    public var indexBuildProgress: Double? = nil
    /// The backend's internal errors: a count and the newest log lines.
    public var internalErrors = InternalErrorsProbe()
    /// Set when the figures were scraped from an external target's Prometheus endpoint (nil: the embedded probes).
    public var scrape: ScrapeStatus? = nil
    public init() {}
}
