import HTTP
import Knobs
import Metrics

/// `compression`: gzip response bodies of at least `ResponseCompression.thresholdBytes` (1 KiB) for clients that
/// send `Accept-Encoding: gzip`, at zlib level `Gzip.defaultLevel` (1: most of the size gain for the least CPU),
/// with `Vary: Accept-Encoding`. off (naive) sends every body as it is. Read per request by `ConduitAPI`.
struct CompressionKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "compression", kind: .choice(["off", "gzip"]), defaultValue: "off",
                       naiveValue: "off", optimizedValue: "gzip", key: "g",
                       summary: "gzip bodies ≥ 1 KiB for clients that accept it (zlib level 1)"),
    ]
    static let gzip = choiceIndex("compression", "gzip")

    let knob: Knob?
    let statistics: PayloadStatistics

    init(parts: BackendParts) {
        knob = parts.knobs["compression"]
        statistics = parts.payloadStatistics
    }

    func probe(into snapshot: inout BackendSnapshot) {
        var p = CompressionProbe()
        p.mode = knob?.rawValue == Self.gzip ? .gzip : .off
        p.thresholdBytes = ResponseCompression.thresholdBytes
        p.level = Int(Gzip.defaultLevel)
        p.compressedResponses = statistics.compressedResponses.value
        p.bytesIn = statistics.compressionBytesIn.value
        p.bytesOut = statistics.compressionBytesOut.value
        p.compressionNanoseconds = statistics.compressionNanoseconds.value
        p.uncompressedForClient = statistics.uncompressedForClient.value
        snapshot.compression = p
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        let s = statistics
        out.counter("dyno_compression_responses_total", help: "Responses sent gzip-compressed.", s.compressedResponses.value)
        out.counter("dyno_compression_bytes_in_total", help: "Bytes of compressed bodies before compression.",
                    s.compressionBytesIn.value)
        out.counter("dyno_compression_bytes_out_total", help: "Bytes of compressed bodies after compression (on the wire).",
                    s.compressionBytesOut.value)
        out.gauge("dyno_compression_seconds_total", help: "Time spent in zlib compressing bodies.",
                  Double(s.compressionNanoseconds.value) / 1e9)
        out.counter("dyno_compression_skipped_by_client_total",
                    help: "Bodies above the threshold sent uncompressed because the client did not accept gzip.",
                    s.uncompressedForClient.value)
    }
}
