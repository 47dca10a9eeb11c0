import Metrics
import Synchronization

/// What the payload knobs (`compression`, `paging`) did, as relaxed atomics: a few adds per response.
final class PayloadStatistics: Sendable {
    // compression
    /// Responses sent gzip-compressed, their bytes before and after, and the time spent in zlib.
    let compressedResponses = Counter()
    let compressionBytesIn = Counter()
    let compressionBytesOut = Counter()
    let compressionNanoseconds = Counter()
    /// Responses above the threshold that went out uncompressed because the client did not accept gzip.
    let uncompressedForClient = Counter()

    // paging
    /// List and export requests, and the article rows they held in memory (a streamed export counts one batch
    /// at a time: the most it ever holds).
    let pagedRequests = Counter()
    let rowsMaterialized = Counter()
    /// `limit` values cut to the cap (bounded), exports streamed (bounded) vs built whole (unbounded).
    let cappedLimits = Counter()
    let streamedExports = Counter()
    let wholeExports = Counter()
    /// Streamed exports cut short by a failed read after their head was sent.
    let exportFailures = Counter()
    private let peakRows = Atomic<Int>(0)
    private let peakBytes = Atomic<Int>(0)

    /// One request held `rows` articles and one body buffer of `bytes` at once.
    func recordMaterialized(rows: Int, bytes: Int) {
        rowsMaterialized.increment(by: UInt64(rows))
        peakRows.max(rows)
        peakBytes.max(bytes)
    }

    /// The most rows one request held at once, and the largest body buffer built, since the start.
    var peakRowsPerRequest: Int { peakRows.load(ordering: .relaxed) }
    var peakResponseBytes: Int { peakBytes.load(ordering: .relaxed) }
}

extension Atomic where Value == Int {
    /// Raises the value to `candidate` if it is larger (compare-and-swap loop; rarely loops: peaks are rare).
    func max(_ candidate: Int) {
        var current = load(ordering: .relaxed)
        while candidate > current {
            let (exchanged, original) = compareExchange(expected: current, desired: candidate, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}
