// Probes of the payload knobs (`encoding`, `compression`, `paging`). Counts are totals since the backend started.

/// The `encoding` knob's probe; per-route bytes and encode time are on `BackendRouteProbe` (`responseBytes`,
/// stage "encode").
public struct EncodingProbe: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable {
        /// `Codable` + `JSONEncoder`/`JSONDecoder` (naive).
        case foundation
        /// Bytes written straight into the response buffer, hand-written parser (optimized).
        case direct
    }
    public var mode: Mode = .direct
    public var responses: UInt64 = 0
    /// Body bytes as encoded, summed over every response.
    public var responseBytes: UInt64 = 0
    /// Time spent encoding, summed over every response.
    public var encodeNanoseconds: UInt64 = 0
    public init() {}
}

/// The `compression` knob's probe.
public struct CompressionProbe: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable { case off, gzip }
    public var mode: Mode = .off
    /// Bodies at least this large are compressed (when the client accepts gzip).
    public var thresholdBytes: Int = 0
    /// zlib level used.
    public var level: Int = 0
    public var compressedResponses: UInt64 = 0
    /// Bytes of the compressed bodies before and after compression.
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var compressionNanoseconds: UInt64 = 0
    /// Large enough to compress, but the client did not accept gzip.
    public var uncompressedForClient: UInt64 = 0
    public init() {}
    /// bytesOut / bytesIn (0 before anything was compressed): 0.2 = five times smaller.
    public var ratio: Double { bytesIn == 0 ? 0 : Double(bytesOut) / Double(bytesIn) }
}

/// The `paging` knob's probe.
public struct PagingProbe: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable {
        /// Any `limit` honoured; exports built whole in memory (naive).
        case unbounded
        /// `limit` capped; exports streamed from a cursor (optimized).
        case bounded
    }
    public var mode: Mode = .bounded
    /// The cap on `limit` when bounded.
    public var limitCap: Int = 0
    /// List and export requests.
    public var requests: UInt64 = 0
    /// Article rows held in memory, summed (a streamed export counts each batch).
    public var rowsMaterialized: UInt64 = 0
    /// The most rows one request (or one streamed batch) held at once, and the largest body buffer built.
    public var peakRowsPerRequest: Int = 0
    public var peakResponseBytes: Int = 0
    public var streamedExports: UInt64 = 0
    public var wholeExports: UInt64 = 0
    public init() {}
    public var rowsPerRequest: Double { requests == 0 ? 0 : Double(rowsMaterialized) / Double(requests) }
}
