/// The cache's lines for `/metrics` (Prometheus text format), appended by the backend's `extraMetrics`.
extension CachingConduitStore {
    /// Appends `dyno_cache_*` counters and gauges. Runs on the scrape, not on the request path.
    func renderMetrics(_ out: inout String) {
        let s = cache.statistics
        func line(_ name: String, _ type: String, _ help: String, _ value: some Numeric & CustomStringConvertible) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        line("dyno_cache_enabled", "gauge", "1 when the cache knob is on.", knobIsOn ? 1 : 0)
        line("dyno_cache_hits_total", "counter", "Reads served from a cached entry.", s.hits)
        line("dyno_cache_misses_total", "counter", "Cached-kind reads that found no fresh entry (loaded, or waited for another caller's load).", s.misses)
        line("dyno_cache_coalesced_total", "counter", "Misses that waited for a load already in flight instead of loading (single-flight).", s.coalesced)
        line("dyno_cache_evictions_total", "counter", "Entries evicted to stay within capacity.", s.evictions)
        line("dyno_cache_expirations_total", "counter", "Entries found past their TTL.", s.expirations)
        line("dyno_cache_invalidations_total", "counter", "Entries removed because a write changed their data.", s.invalidations)
        line("dyno_cache_db_queries_saved_total", "counter", "SQL statements not executed thanks to hits and coalesced misses.", s.queriesSaved)
        line("dyno_cache_entries", "gauge", "Entries stored.", s.entries)
        line("dyno_cache_bytes", "gauge", "Estimated bytes stored.", s.bytes)
        line("dyno_cache_capacity_bytes", "gauge", "Capacity in estimated bytes.", s.capacityBytes)
    }
}
