import Knobs
import Metrics

/// `paging`: how much one request may pull into memory.
/// - unbounded (naive): list endpoints honour any `limit` (`?limit=100000` materializes every article), and
///   `GET /api/export` builds the whole payload in memory;
/// - bounded (optimized): `limit` is cut to `ArticleQuery.maxLimit` (500, sent back as `X-Limit-Cap`) and the export
///   streams with chunked encoding, one keyset batch of `ExportStream.batchSize` at a time, in constant memory.
/// Read per request by `ConduitAPI`.
struct PagingKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "paging", kind: .choice(["unbounded", "bounded"]), defaultValue: "bounded",
                       naiveValue: "unbounded", optimizedValue: "bounded", key: "1",
                       summary: "list limit capped at 500 and exports streamed (bounded), or any limit and whole exports"),
    ]
    static let bounded = choiceIndex("paging", "bounded")

    let knob: Knob?
    let statistics: PayloadStatistics
    let memo: RenderedResponseMemo

    init(parts: BackendParts) {
        knob = parts.knobs["paging"]
        statistics = parts.payloadStatistics
        memo = parts.memo
    }

    /// Pages memoized under the other cap are not served under this one.
    func apply(_ changes: [KnobChange]) {
        if changes.contains(where: { $0.id == "paging" }) { memo.dataChanged() }
    }

    func probe(into snapshot: inout BackendSnapshot) {
        var p = PagingProbe()
        p.mode = knob?.rawValue == Self.bounded ? .bounded : .unbounded
        p.limitCap = ArticleQuery.maxLimit
        p.requests = statistics.pagedRequests.value
        p.rowsMaterialized = statistics.rowsMaterialized.value
        p.peakRowsPerRequest = statistics.peakRowsPerRequest
        p.peakResponseBytes = statistics.peakResponseBytes
        p.streamedExports = statistics.streamedExports.value
        p.wholeExports = statistics.wholeExports.value
        snapshot.paging = p
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        let s = statistics
        out.counter("dyno_paging_requests_total", help: "List and export requests.", s.pagedRequests.value)
        out.counter("dyno_paging_rows_materialized_total",
                    help: "Article rows held in memory by list and export requests (streamed exports: per batch).",
                    s.rowsMaterialized.value)
        out.gauge("dyno_paging_peak_rows", help: "Most article rows one request (or one streamed batch) held at once.",
                  s.peakRowsPerRequest)
        out.gauge("dyno_paging_peak_response_bytes", help: "Largest response body buffer built at once.", s.peakResponseBytes)
        out.counter("dyno_export_streamed_total", help: "Exports streamed from a cursor (paging=bounded).", s.streamedExports.value)
        out.counter("dyno_export_whole_total", help: "Exports built whole in memory (paging=unbounded).", s.wholeExports.value)
        out.counter("dyno_export_failures_total", help: "Streamed exports cut short by a failed read.", s.exportFailures.value)
    }
}
