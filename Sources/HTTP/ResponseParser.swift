// Incremental HTTP/1.1 response parser for the client: a pure value type fed whatever bytes arrived.
#if canImport(Glibc)
import Glibc
#endif

/// Why a response could not be parsed.
public struct ResponseParseError: Error, Sendable, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Parses HTTP/1.1 responses incrementally, byte chunk by byte chunk, without keeping the bytes it consumed.
///
/// The caller feeds every chunk it reads to `parse(_:)`, which consumes bytes up to the end of the current
/// response and says whether it is complete. A chunk may end anywhere (inside the status line, a header, a chunk
/// size or body); the parser keeps only a partial line in a small reused buffer. Supports `Content-Length`,
/// `Transfer-Encoding: chunked` (extensions and trailers ignored), close-delimited bodies (completed by
/// `endOfStream()`), interim 1xx responses (skipped), and bodiless responses (HEAD, 204, 304).
///
/// In the load generator's hot path it runs with `storesMessage: false`: it then allocates nothing per response
/// and keeps only status, keep-alive and byte counts. With `storesMessage: true` (setup requests) it also keeps
/// headers and body, taken with `takeResponse()`.
public struct ResponseParser: Sendable {
    /// Whether headers and body are kept (for `takeResponse()`).
    public let storesMessage: Bool
    /// Limit for the status line plus headers (default 64 KiB); more is an error.
    public let maxHeadBytes: Int

    /// Status code of the response being parsed (0 before its status line).
    public private(set) var status = 0
    /// Whether the connection may be reused after this response (HTTP/1.1 default, unless `Connection: close`
    /// or a close-delimited body).
    public private(set) var keepAlive = true
    /// Bytes of the current response consumed so far (head and body as sent on the wire).
    public private(set) var wireBytes = 0
    /// Decoded body bytes of the current response so far.
    public private(set) var bodyBytes = 0
    /// Whether the response says `Content-Encoding: gzip`.
    public private(set) var gzipped = false
    /// Whether gzip bodies are inflated as they arrive to count `contentBytes` (the load generator, like a browser).
    public let decodesGzip: Bool
    /// Body bytes after content decoding: the inflated size of a gzip body when `decodesGzip`, else `bodyBytes`.
    public var contentBytes: Int {
        guard inflating, let inflater else { return bodyBytes }
        return inflater.decodedBytes
    }

    private enum State: Sendable, Equatable {
        case statusLine, headerLine
        case fixedBody, chunkSize, chunkData, chunkDataEnd, trailerLine
        case untilClose, complete
    }

    private var state: State = .statusLine
    private var expectsNoBody = false
    private var headBytes = 0
    private var contentLength = -1
    private var chunked = false
    private var remaining = 0          // body or chunk bytes still expected
    private var line: [UInt8] = []     // a partial line carried across chunks (reused)
    private var headers = HTTPHeaders()
    private var body: [UInt8] = []
    /// Created on the first gzip body (when `decodesGzip`), reused for the next ones.
    private var inflater: GzipInflater?
    private var inflating = false

    /// Longest chunk-size or trailer line accepted.
    private static let maxChunkLineBytes = 4096

    public init(storesMessage: Bool = false, maxHeadBytes: Int = 64 * 1024, decodesGzip: Bool = false) {
        self.storesMessage = storesMessage
        self.maxHeadBytes = maxHeadBytes
        self.decodesGzip = decodesGzip
        line.reserveCapacity(256)
    }

    /// Whether nothing of a response has been seen since the last `reset` (an idle keep-alive connection).
    public var isIdle: Bool { state == .statusLine && line.isEmpty && wireBytes == 0 }

    /// Whether the current response is complete.
    public var isComplete: Bool { state == .complete }

    /// Prepares for the next response. `expectingNoBody` is true for the response to a HEAD request.
    public mutating func reset(expectingNoBody: Bool = false) {
        state = .statusLine
        expectsNoBody = expectingNoBody
        status = 0
        keepAlive = true
        wireBytes = 0
        bodyBytes = 0
        gzipped = false
        inflating = false
        headBytes = 0
        contentLength = -1
        chunked = false
        remaining = 0
        line.removeAll(keepingCapacity: true)
        if storesMessage {
            headers = HTTPHeaders()
            body = []
        }
    }

    /// Convenience for tests and small inputs.
    public mutating func parse(_ bytes: [UInt8]) throws(ResponseParseError) -> (consumed: Int, complete: Bool) {
        var result: Result<(consumed: Int, complete: Bool), ResponseParseError> = .success((0, false))
        bytes.withUnsafeBytes { raw in
            do throws(ResponseParseError) { result = .success(try parse(raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Consumes bytes of the current response from the start of `bytes`.
    ///
    /// Returns how many bytes were consumed and whether the response is now complete. When complete, bytes after
    /// `consumed` belong to whatever comes next (the caller decides; the load generator treats them as an error
    /// because it never pipelines). Throws on malformed input; the connection must then be closed.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(ResponseParseError) -> (consumed: Int, complete: Bool) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else {
            return (0, state == .complete)
        }
        let count = bytes.count
        var i = 0
        while i < count {
            switch state {
            case .complete:
                wireBytes += i
                return (i, true)
            case .fixedBody, .chunkData:
                let n = min(remaining, count - i)
                if storesMessage { body.append(contentsOf: UnsafeBufferPointer(start: base + i, count: n)) }
                if inflating { inflater?.feed(UnsafeBufferPointer(start: base + i, count: n)) }
                remaining -= n
                bodyBytes += n
                i += n
                if remaining == 0 { state = state == .fixedBody ? .complete : .chunkDataEnd }
            case .untilClose:
                let n = count - i
                if storesMessage { body.append(contentsOf: UnsafeBufferPointer(start: base + i, count: n)) }
                if inflating { inflater?.feed(UnsafeBufferPointer(start: base + i, count: n)) }
                bodyBytes += n
                i = count
            case .statusLine, .headerLine, .chunkSize, .chunkDataEnd, .trailerLine:
                // Line-oriented states: find the line feed, joining with a partial line from earlier chunks.
                let start = base + i
                let available = count - i
                guard let lf = memchr(start, 10, available) else {
                    try appendPartialLine(UnsafeBufferPointer(start: start, count: available))
                    i = count
                    continue
                }
                let lineLength = UnsafeRawPointer(lf) - UnsafeRawPointer(start)
                i += lineLength + 1
                if line.isEmpty {
                    try checkLineLimit(adding: lineLength + 1)
                    try handleLine(UnsafeBufferPointer(start: start, count: lineLength))
                } else {
                    try appendPartialLine(UnsafeBufferPointer(start: start, count: lineLength))
                    headBytesOrChunkLine(adding: 1)
                    // Move the joined line out (no copy) so handleLine can mutate self, then hand the storage back.
                    var carried: [UInt8] = []
                    swap(&line, &carried)
                    try carried.withUnsafeBufferPointer { (b) throws(ResponseParseError) in try handleLine(b) }
                    carried.removeAll(keepingCapacity: true)
                    swap(&line, &carried)
                }
            }
        }
        wireBytes += i
        return (i, state == .complete)
    }

    /// Tells the parser the peer closed the connection. Returns true when that completes a close-delimited
    /// response, false when no response had started (a normal close of an idle connection); throws when the
    /// stream ended inside a response.
    public mutating func endOfStream() throws(ResponseParseError) -> Bool {
        switch state {
        case .untilClose:
            state = .complete
            keepAlive = false
            return true
        case .complete:
            return true
        case .statusLine where line.isEmpty && wireBytes == 0:
            return false
        default:
            throw ResponseParseError("connection closed inside a response (\(wireBytes) bytes received)")
        }
    }

    /// The complete response (only meaningful with `storesMessage: true`); resets the stored head and body.
    public mutating func takeResponse() -> HTTPResponse {
        let response = HTTPResponse(status: status, headers: headers, body: body)
        headers = HTTPHeaders()
        body = []
        return response
    }

    // MARK: - Lines

    private mutating func appendPartialLine(_ bytes: UnsafeBufferPointer<UInt8>) throws(ResponseParseError) {
        if state == .chunkDataEnd, bytes.contains(where: { $0 != 13 }) || line.count + bytes.count > 1 {
            throw ResponseParseError("missing CRLF after chunk data")
        }
        try checkLineLimit(adding: bytes.count)
        line.append(contentsOf: bytes)
    }

    /// Head bytes are limited by `maxHeadBytes`, chunk lines individually by `maxChunkLineBytes`.
    private mutating func checkLineLimit(adding n: Int) throws(ResponseParseError) {
        if state == .statusLine || state == .headerLine {
            headBytes += n
            if headBytes > maxHeadBytes {
                throw ResponseParseError("response head longer than \(maxHeadBytes) bytes")
            }
        } else if line.count + n > Self.maxChunkLineBytes {
            throw ResponseParseError("chunk-size or trailer line longer than \(Self.maxChunkLineBytes) bytes")
        }
    }

    private mutating func headBytesOrChunkLine(adding n: Int) {
        if state == .statusLine || state == .headerLine { headBytes += n }
    }

    /// Handles one line without its LF (a trailing CR is dropped here).
    private mutating func handleLine(_ raw: UnsafeBufferPointer<UInt8>) throws(ResponseParseError) {
        var length = raw.count
        if length > 0 && raw[length - 1] == 13 { length -= 1 }
        let text = UnsafeBufferPointer(rebasing: raw[0..<length])
        switch state {
        case .statusLine: try handleStatusLine(text)
        case .headerLine:
            if length == 0 { try endOfHead() } else { try handleHeaderLine(text) }
        case .chunkSize: try handleChunkSize(text)
        case .chunkDataEnd:
            guard length == 0 else { throw ResponseParseError("missing CRLF after chunk data") }
            state = .chunkSize
        case .trailerLine:
            if length == 0 { state = .complete }
        default:
            break
        }
    }

    private mutating func handleStatusLine(_ text: UnsafeBufferPointer<UInt8>) throws(ResponseParseError) {
        // "HTTP/1.1 200 OK": version, space, three digits, then an optional reason.
        guard text.count >= 12, text[0] == 72, text[1] == 84, text[2] == 84, text[3] == 80, text[4] == 47,
              text[5] == 49, text[6] == 46, text[8] == 32,
              let d1 = Self.digit(text[9]), let d2 = Self.digit(text[10]), let d3 = Self.digit(text[11]),
              text.count == 12 || text[12] == 32
        else {
            throw ResponseParseError("malformed status line: \(Self.preview(text))")
        }
        switch text[7] {
        case 49: keepAlive = true            // HTTP/1.1
        case 48: keepAlive = false           // HTTP/1.0: close unless "Connection: keep-alive"
        default: throw ResponseParseError("unsupported HTTP version in status line: \(Self.preview(text))")
        }
        status = d1 * 100 + d2 * 10 + d3
        guard status >= 100 else { throw ResponseParseError("status code \(status) out of range") }
        state = .headerLine
    }

    private mutating func handleHeaderLine(_ text: UnsafeBufferPointer<UInt8>) throws(ResponseParseError) {
        guard text[0] != 32 && text[0] != 9 else {
            throw ResponseParseError("obsolete folded header line: \(Self.preview(text))")
        }
        guard let colon = text.firstIndex(of: 58), colon > 0 else {
            throw ResponseParseError("header line without a name and colon: \(Self.preview(text))")
        }
        let name = UnsafeBufferPointer(rebasing: text[0..<colon])
        var valueStart = colon + 1
        var valueEnd = text.count
        while valueStart < valueEnd && (text[valueStart] == 32 || text[valueStart] == 9) { valueStart += 1 }
        while valueEnd > valueStart && (text[valueEnd - 1] == 32 || text[valueEnd - 1] == 9) { valueEnd -= 1 }
        let value = UnsafeBufferPointer(rebasing: text[valueStart..<valueEnd])

        // Only three header names matter for framing; their lengths (14, 17, 10) rule out most others cheaply.
        if name.count == 14 && Self.equalsLowercase(name, Self.contentLengthName) {
            var n = 0
            guard !value.isEmpty else { throw ResponseParseError("empty Content-Length") }
            for byte in value {
                guard let d = Self.digit(byte), n < (Int.max - 9) / 10 else {
                    throw ResponseParseError("invalid Content-Length: \(Self.preview(value))")
                }
                n = n * 10 + d
            }
            if contentLength >= 0 && contentLength != n {
                throw ResponseParseError("conflicting Content-Length values \(contentLength) and \(n)")
            }
            contentLength = n
        } else if name.count == 17 && Self.equalsLowercase(name, Self.transferEncodingName) {
            // Only "chunked" as the final coding is meaningful for framing.
            if Self.endsWithLowercase(value, Self.chunkedToken) {
                chunked = true
            } else {
                throw ResponseParseError("unsupported Transfer-Encoding: \(Self.preview(value))")
            }
        } else if name.count == 10 && Self.equalsLowercase(name, Self.connectionName) {
            if Self.containsLowercase(value, Self.closeToken) { keepAlive = false }
            else if Self.containsLowercase(value, Self.keepAliveToken) { keepAlive = true }
        } else if name.count == 16 && Self.equalsLowercase(name, Self.contentEncodingName) {
            gzipped = Self.containsLowercase(value, Self.gzipToken)
        }
        if storesMessage {
            headers.add(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        }
    }

    private mutating func endOfHead() throws(ResponseParseError) {
        if status < 200 {
            // Interim response (100 Continue, 103 Early Hints): the real one follows.
            reset(expectingNoBody: expectsNoBody)
            return
        }
        if decodesGzip && gzipped && !(expectsNoBody || status == 204 || status == 304) {
            if inflater == nil { inflater = GzipInflater() }
            inflater?.reset()
            inflating = true
        }
        if expectsNoBody || status == 204 || status == 304 {
            state = .complete
        } else if chunked {
            state = .chunkSize
        } else if contentLength >= 0 {
            remaining = contentLength
            state = contentLength == 0 ? .complete : .fixedBody
        } else {
            keepAlive = false
            state = .untilClose
        }
    }

    private mutating func handleChunkSize(_ text: UnsafeBufferPointer<UInt8>) throws(ResponseParseError) {
        var size = 0
        var digits = 0
        for byte in text {
            guard let h = Self.hexDigit(byte) else {
                if byte == 59 || byte == 32 || byte == 9 { break }   // ';' starts an extension
                throw ResponseParseError("invalid chunk size line: \(Self.preview(text))")
            }
            guard size < (Int.max >> 4) else { throw ResponseParseError("chunk size too large") }
            size = size << 4 | h
            digits += 1
        }
        guard digits > 0 else { throw ResponseParseError("missing chunk size: \(Self.preview(text))") }
        if size == 0 {
            state = .trailerLine
        } else {
            remaining = size
            state = .chunkData
        }
    }

    // MARK: - Byte helpers

    // StaticStrings, not arrays: literals need no lazy global initialisation (swift_once) on the hot path.
    private static var contentLengthName: StaticString { "content-length" }
    private static var transferEncodingName: StaticString { "transfer-encoding" }
    private static var connectionName: StaticString { "connection" }
    private static var chunkedToken: StaticString { "chunked" }
    private static var closeToken: StaticString { "close" }
    private static var contentEncodingName: StaticString { "content-encoding" }
    private static var gzipToken: StaticString { "gzip" }
    private static var keepAliveToken: StaticString { "keep-alive" }

    @inline(__always)
    private static func lower(_ b: UInt8) -> UInt8 { (b &- 65) < 26 ? b | 0x20 : b }

    @inline(__always)
    private static func digit(_ b: UInt8) -> Int? { (b &- 48) < 10 ? Int(b &- 48) : nil }

    private static func hexDigit(_ b: UInt8) -> Int? {
        if (b &- 48) < 10 { return Int(b &- 48) }
        let l = lower(b)
        if (l &- 97) < 6 { return Int(l &- 97) + 10 }
        return nil
    }

    private static func equalsLowercase(_ a: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        let lowercase = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard a.count == lowercase.count else { return false }
        for i in 0..<a.count where lower(a[i]) != lowercase[i] { return false }
        return true
    }

    private static func endsWithLowercase(_ a: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        let lowercase = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard a.count >= lowercase.count else { return false }
        let offset = a.count - lowercase.count
        for i in 0..<lowercase.count where lower(a[offset + i]) != lowercase[i] { return false }
        return true
    }

    private static func containsLowercase(_ a: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        let lowercase = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard a.count >= lowercase.count else { return false }
        outer: for start in 0...(a.count - lowercase.count) {
            for i in 0..<lowercase.count where lower(a[start + i]) != lowercase[i] { continue outer }
            return true
        }
        return false
    }

    private static func preview(_ text: UnsafeBufferPointer<UInt8>) -> String {
        let shown = String(decoding: UnsafeBufferPointer(rebasing: text.prefix(80)), as: UTF8.self)
        return "\"\(shown)\"" + (text.count > 80 ? "…" : "")
    }
}
