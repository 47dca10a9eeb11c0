import Knobs
import Metrics

/// `cache`: the read cache in front of the SQL store (`CachingConduitStore`): bounded LRU by bytes, TTL,
/// single-flight, updated in place or invalidated on write. Read per request by the decorator (one atomic load); turning it off
/// empties it on the next call that looks.
struct CacheKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "cache", kind: .choice(["off", "on"]), defaultValue: "off",
                       naiveValue: "off", optimizedValue: "on", key: "c",
                       summary: "bounded read cache with TTL, single-flight and invalidation on write"),
    ]

    let store: CachingConduitStore<SQLiteConduitStore>

    init(parts: BackendParts) { store = parts.store }

    func probe(into snapshot: inout BackendSnapshot) { snapshot.cache = Self.probe(store) }

    func writeMetrics(to out: inout PrometheusWriter) { Self.writeMetrics(store, to: &out) }

    /// The cache's counters as its typed probe (`enabled` = knob on).
    static func probe<Base>(_ store: CachingConduitStore<Base>) -> CacheProbe {
        let s = store.cache.statistics
        var probe = CacheProbe()
        probe.enabled = store.knobIsOn
        probe.hits = s.hits
        probe.misses = s.misses
        probe.evictions = s.evictions
        probe.entries = s.entries
        probe.bytes = s.bytes
        probe.capacityBytes = s.capacityBytes
        probe.dbQueriesSaved = s.queriesSaved
        return probe
    }

    static func writeMetrics<Base>(_ store: CachingConduitStore<Base>, to out: inout PrometheusWriter) {
        let s = store.cache.statistics
        out.gauge("dyno_cache_enabled", help: "1 when the cache knob is on.", store.knobIsOn ? 1 : 0)
        out.counter("dyno_cache_hits_total", help: "Reads served from a cached entry.", s.hits)
        out.counter("dyno_cache_misses_total",
                    help: "Cached-kind reads that found no fresh entry (loaded, or waited for another caller's load).", s.misses)
        out.counter("dyno_cache_coalesced_total",
                    help: "Misses that waited for a load already in flight instead of loading (single-flight).", s.coalesced)
        out.counter("dyno_cache_evictions_total", help: "Entries evicted to stay within capacity.", s.evictions)
        out.counter("dyno_cache_expirations_total", help: "Entries found past their TTL.", s.expirations)
        out.counter("dyno_cache_invalidations_total", help: "Entries removed because a write changed their data.", s.invalidations)
        out.counter("dyno_cache_updates_total",
                    help: "Entries rewritten in place by a write (a favorite's count, a comment) instead of removed.", s.updates)
        out.counter("dyno_cache_db_queries_saved_total",
                    help: "SQL statements not executed thanks to hits and coalesced misses.", s.queriesSaved)
        out.gauge("dyno_cache_entries", help: "Entries stored.", s.entries)
        out.gauge("dyno_cache_bytes", help: "Estimated bytes stored.", s.bytes)
        out.gauge("dyno_cache_capacity_bytes", help: "Capacity in estimated bytes.", s.capacityBytes)
    }
}
