import HTTP
import Metrics

/// The `compression=gzip` step, applied to a finished response: one small function so a cache of encoded bytes
/// can reuse it for its gzip variants.
enum ResponseCompression {
    /// Bodies smaller than this go out as they are: below ≈ 1 KiB gzip's 18 bytes of framing and its CPU cost buy
    /// little (a Conduit profile or comment is 200–400 bytes), while a page of 20 articles (≈ 10 KB) shrinks ≈ 5×.
    static let thresholdBytes = 1024

    /// Whether this response is worth compressing whole: a complete body (streamed ones: `applyToStream`), at
    /// least the threshold, not already encoded.
    static func isCandidate(_ response: HTTPResponse) -> Bool {
        response.stream == nil && response.body.count >= thresholdBytes && response.headers["Content-Encoding"] == nil
    }

    /// Compresses `response` in place when it is a candidate and the client accepts gzip. Every candidate gets
    /// `Vary: Accept-Encoding` (whether compressed or not), so shared caches keep the two variants apart.
    /// `stored`: the cached bodies `response.body` came from; their gzip variant is used (compressed on its first
    /// use only). The time recorded is the time spent getting the gzip bytes, either way.
    static func apply(to response: inout HTTPResponse, acceptsGzip: Bool, statistics: PayloadStatistics,
                      stored: CachedBodies? = nil) {
        guard isCandidate(response) else { return }
        response.headers.add(name: "Vary", value: "Accept-Encoding")
        guard acceptsGzip else {
            statistics.uncompressedForClient.increment()
            return
        }
        let started = MonotonicClock.nanoseconds()
        let compressed = stored?.gzip { Gzip.compress($0) } ?? Gzip.compress(response.body)
        statistics.compressionNanoseconds.increment(by: MonotonicClock.nanoseconds() &- started)
        statistics.compressedResponses.increment()
        statistics.compressionBytesIn.increment(by: UInt64(response.body.count))
        statistics.compressionBytesOut.increment(by: UInt64(compressed.count))
        response.body = compressed
        response.headers.add(name: "Content-Encoding", value: "gzip")
    }

    /// A streamed body (the bounded export) is compressed piece by piece as it is produced, on the worker that
    /// produced it; `Vary` as for whole bodies.
    static func applyToStream(_ response: inout HTTPResponse, acceptsGzip: Bool, statistics: PayloadStatistics) {
        guard let stream = response.stream, response.headers["Content-Encoding"] == nil else { return }
        response.headers.add(name: "Vary", value: "Accept-Encoding")
        guard acceptsGzip else { return statistics.uncompressedForClient.increment() }
        statistics.compressedResponses.increment()
        response.stream = GzipBodyStream(stream) { bytesIn, bytesOut, nanoseconds in
            statistics.compressionBytesIn.increment(by: UInt64(bytesIn))
            statistics.compressionBytesOut.increment(by: UInt64(bytesOut))
            statistics.compressionNanoseconds.increment(by: nanoseconds)
        }
        response.headers.add(name: "Content-Encoding", value: "gzip")
    }
}
