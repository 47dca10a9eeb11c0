// Incremental HTTP/1.1 request parser: a pure value type, fed the unconsumed bytes of a connection.

/// What `ServerRequestParser.parse(_:)` found at the start of the bytes it was given.
public enum ServerParseResult: Sendable {
    /// A complete request; the first `consumed` bytes belonged to it and must be dropped by the caller.
    case request(HTTPRequest, consumed: Int)
    /// The request is not complete yet: call again with the same bytes plus more.
    case needMore
    /// The bytes are not an acceptable request; answer `status` and close the connection.
    /// `reason` says what was wrong (for logs and tests, never sent to the client verbatim).
    case error(status: Int, reason: String)
}

/// Parses HTTP/1.1 requests incrementally.
///
/// The caller owns the bytes: it passes everything not yet consumed (starting at the first byte of the
/// current request) on every call. While a request is incomplete the parser keeps only offsets and, for
/// chunked bodies, the decoded body so far, so re-feeding a growing buffer does not rescan it.
/// Limits: request line + headers over `maxHeaderBytes` → 431; body over `maxBodyBytes` → 413;
/// malformed syntax → 400; unsupported transfer coding → 501; HTTP version other than 1.0/1.1 → 505.
public struct ServerRequestParser: Sendable {
    public let maxHeaderBytes: Int
    public let maxBodyBytes: Int

    /// True when the parser is waiting for the request line or headers and has seen part of them
    /// (used for the header-read timeout).
    public var isReadingHead: Bool {
        if case .head = state { return true }
        return false
    }

    /// Set once per request when its head asked for `Expect: 100-continue` and its body has not arrived;
    /// the connection clears it after sending (or deciding not to send) the interim response.
    public var wantsContinue = false

    /// Whether the request most recently returned was HTTP/1.0 (its keep-alive must be acknowledged
    /// with `Connection: keep-alive`).
    public private(set) var lastRequestIsHTTP10 = false

    private var state: State = .head(scanned: 0)
    /// The current request's line has arrived and was valid (checked once, before the rest of the head).
    private var requestLineChecked = false

    private enum State: Sendable {
        /// Searching for the end of the head; no CRLFCRLF ends before `scanned`.
        case head(scanned: Int)
        /// Head parsed; waiting for `length` body bytes starting at `bodyStart`.
        case fixedBody(Head, bodyStart: Int, length: Int)
        /// Head parsed; decoding a chunked body. `cursor` is the next raw byte to decode.
        case chunked(Head, bodyStart: Int, cursor: Int, body: [UInt8], phase: ChunkPhase)
    }

    private enum ChunkPhase: Sendable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers(bytes: Int)
    }

    private struct Head: Sendable {
        var method: String
        var target: String
        var headers: HTTPHeaders
        var keepAlive: Bool
        var http10: Bool
    }

    /// Longest accepted chunk-size line (size, extensions): anything longer is an attack or garbage.
    private static let maxChunkLineBytes = 4096

    /// - Parameters:
    ///   - maxHeaderBytes: limit for request line + headers, including line ends (default 16 KiB).
    ///   - maxBodyBytes: limit for the decoded body (default 1 MiB).
    public init(maxHeaderBytes: Int = 16 * 1024, maxBodyBytes: Int = 1 << 20) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// Forgets any partial request (e.g. when the connection is reused for something else).
    public mutating func reset() {
        state = .head(scanned: 0)
        requestLineChecked = false
        wantsContinue = false
    }

    /// Parses the request at the start of `bytes` (convenience for tests and small inputs).
    public mutating func parse(_ bytes: [UInt8]) -> ServerParseResult {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// Parses the request at the start of `bytes`, which must begin where the previous complete
    /// request ended and include every byte passed in earlier `.needMore` calls.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) -> ServerParseResult {
        let result: ServerParseResult
        switch state {
        case .head(let scanned):
            result = parseHead(bytes, scanned: scanned)
        case .fixedBody(let head, let bodyStart, let length):
            result = finishFixedBody(bytes, head: head, bodyStart: bodyStart, length: length)
        case .chunked(let head, let bodyStart, let cursor, let body, let phase):
            state = .head(scanned: 0)  // drop our reference to `body` so appends don't copy it
            result = decodeChunked(bytes, head: head, bodyStart: bodyStart, cursor: cursor, body: body, phase: phase)
        }
        switch result {
        case .request, .error:
            state = .head(scanned: 0)
            requestLineChecked = false
            wantsContinue = false
        case .needMore:
            break
        }
        return result
    }

    // MARK: - Head

    private mutating func parseHead(_ bytes: UnsafeRawBufferPointer, scanned: Int) -> ServerParseResult {
        let count = bytes.count
        // RFC 9112 §2.2: ignore empty lines before the request line.
        var start = 0
        while start + 1 < count && bytes[start] == 13 && bytes[start + 1] == 10 { start += 2 }
        if start > maxHeaderBytes { return .error(status: 400, reason: "too many empty lines before the request line") }

        // Find CRLFCRLF, resuming where the previous call stopped.
        var end = -1
        var i = max(start, scanned - 3)
        while i + 3 < count {
            if bytes[i + 3] != 10 {
                // Skip quickly: the last byte of the terminator must be LF.
                i += (bytes[i + 3] == 13) ? 1 : 4
                continue
            }
            if bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 { end = i + 4; break }
            i += 1
        }
        if end < 0 {
            if count - start > maxHeaderBytes {
                return .error(status: 431, reason: "request line and headers exceed \(maxHeaderBytes) bytes")
            }
            // A bare LF where a line should end would make us wait forever: reject it early.
            if let bad = firstBareLF(bytes, from: max(start, scanned - 1), to: count) {
                return .error(status: 400, reason: "line ending without CR at byte \(bad)")
            }
            // Judge the request line as soon as it is complete: a line with no HTTP version (HTTP/0.9
            // style) would otherwise wait for a blank line that never comes, until the header timeout.
            if !requestLineChecked, let lineEnd = Self.indexOf(13, in: bytes, from: start, limit: count - start),
               lineEnd + 1 < count {
                if case .failure(let failure) = parseRequestLine(bytes, from: start, to: lineEnd) {
                    return .error(status: failure.status, reason: failure.reason)
                }
                requestLineChecked = true
            }
            state = .head(scanned: count)
            return .needMore
        }
        if end - start > maxHeaderBytes {
            return .error(status: 431, reason: "request line and headers exceed \(maxHeaderBytes) bytes")
        }
        if let bad = firstBareLF(bytes, from: start, to: end) {
            return .error(status: 400, reason: "line ending without CR at byte \(bad)")
        }

        // Request line.
        var lineEnd = start
        while bytes[lineEnd] != 13 { lineEnd += 1 }
        let requestLine: (method: String, target: String, http10: Bool)
        switch parseRequestLine(bytes, from: start, to: lineEnd) {
        case .success(let parsed): requestLine = parsed
        case .failure(let failure): return .error(status: failure.status, reason: failure.reason)
        }

        // Header fields.
        var headers = HTTPHeaders()
        var contentLength: Int?
        var chunked = false
        var connectionClose = false
        var connectionKeepAlive = false
        var expectContinue = false
        var hostFields = 0
        var lineStart = lineEnd + 2
        while lineStart < end - 2 {
            var cr = lineStart
            while bytes[cr] != 13 { cr += 1 }
            // Field name: one or more tchar, then ':' with no whitespace before it (RFC 9112 §5.1).
            var colon = lineStart
            while colon < cr && Self.isTokenChar(bytes[colon]) { colon += 1 }
            guard colon > lineStart, colon < cr, bytes[colon] == UInt8(ascii: ":") else {
                return .error(status: 400, reason: "malformed header line at byte \(lineStart)")
            }
            var valueStart = colon + 1
            var valueEnd = cr
            while valueStart < valueEnd && (bytes[valueStart] == 32 || bytes[valueStart] == 9) { valueStart += 1 }
            while valueEnd > valueStart && (bytes[valueEnd - 1] == 32 || bytes[valueEnd - 1] == 9) { valueEnd -= 1 }
            for j in valueStart..<valueEnd {
                let b = bytes[j]
                if (b < 32 && b != 9) || b == 127 {
                    return .error(status: 400, reason: "control character in header value at byte \(j)")
                }
            }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<colon])
            let valueBytes = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])

            if Self.equalsLowercase(nameBytes, "content-length") {
                guard let length = Self.parseDecimal(valueBytes) else {
                    return .error(status: 400, reason: "invalid Content-Length")
                }
                if let previous = contentLength, previous != length {
                    return .error(status: 400, reason: "conflicting Content-Length headers")
                }
                contentLength = length
            } else if Self.equalsLowercase(nameBytes, "transfer-encoding") {
                guard Self.equalsLowercase(valueBytes, "chunked"), !chunked else {
                    return .error(status: 501, reason: "unsupported Transfer-Encoding (only a single 'chunked' is)")
                }
                chunked = true
            } else if Self.equalsLowercase(nameBytes, "connection") {
                Self.forEachToken(valueBytes) { token in
                    if Self.equalsLowercase(token, "close") { connectionClose = true }
                    if Self.equalsLowercase(token, "keep-alive") { connectionKeepAlive = true }
                }
            } else if Self.equalsLowercase(nameBytes, "expect") {
                expectContinue = Self.equalsLowercase(valueBytes, "100-continue")
            } else if Self.equalsLowercase(nameBytes, "host") {
                hostFields += 1
            }
            headers.add(name: String(decoding: nameBytes, as: UTF8.self),
                        value: String(decoding: valueBytes, as: UTF8.self))
            lineStart = cr + 2
        }
        // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, and for any request with more than one.
        if hostFields == 0 && !requestLine.http10 {
            return .error(status: 400, reason: "missing Host header (required in HTTP/1.1)")
        }
        if hostFields > 1 {
            return .error(status: 400, reason: "more than one Host header")
        }
        if chunked && contentLength != nil {
            // Both framings at once is the classic request-smuggling vector: refuse (RFC 9112 §6.3).
            return .error(status: 400, reason: "both Transfer-Encoding and Content-Length present")
        }

        let keepAlive = requestLine.http10 ? (connectionKeepAlive && !connectionClose) : !connectionClose
        let head = Head(method: requestLine.method, target: requestLine.target, headers: headers, keepAlive: keepAlive,
                        http10: requestLine.http10)
        if chunked {
            wantsContinue = expectContinue && !requestLine.http10
            return decodeChunked(bytes, head: head, bodyStart: end, cursor: end, body: [], phase: .size)
        }
        let length = contentLength ?? 0
        if length > maxBodyBytes {
            return .error(status: 413, reason: "Content-Length \(length) exceeds the \(maxBodyBytes)-byte limit")
        }
        if length > 0 && count - end < length {
            wantsContinue = expectContinue && !requestLine.http10
        }
        return finishFixedBody(bytes, head: head, bodyStart: end, length: length)
    }

    private struct Failure: Error { var status: Int; var reason: String }

    private func parseRequestLine(
        _ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int
    ) -> Result<(method: String, target: String, http10: Bool), Failure> {
        var i = start
        while i < end && Self.isTokenChar(bytes[i]) { i += 1 }
        guard i > start, i < end, bytes[i] == 32 else {
            return .failure(Failure(status: 400, reason: "malformed request method"))
        }
        let methodEnd = i
        i += 1
        let targetStart = i
        while i < end && bytes[i] > 32 && bytes[i] != 127 { i += 1 }
        if i == end && i > targetStart {
            return .failure(Failure(status: 400, reason: "request line without an HTTP version (HTTP/0.9 is not supported)"))
        }
        guard i > targetStart, i < end, bytes[i] == 32 else {
            return .failure(Failure(status: 400, reason: "malformed request target"))
        }
        let targetEnd = i
        i += 1
        let version = UnsafeRawBufferPointer(rebasing: bytes[i..<end])
        let http10: Bool
        if Self.equalsExactly(version, "HTTP/1.1") {
            http10 = false
        } else if Self.equalsExactly(version, "HTTP/1.0") {
            http10 = true
        } else if version.count == 8, Self.equalsExactly(UnsafeRawBufferPointer(rebasing: version[0..<5]), "HTTP/"),
                  Self.isDigit(version[5]), version[6] == UInt8(ascii: "."), Self.isDigit(version[7]) {
            return .failure(Failure(status: 505, reason: "unsupported HTTP version"))
        } else {
            return .failure(Failure(status: 400, reason: "malformed HTTP version"))
        }
        let method = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<methodEnd]), as: UTF8.self)
        let target = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[targetStart..<targetEnd]), as: UTF8.self)
        return .success((method, target, http10))
    }

    // MARK: - Bodies

    private mutating func finishFixedBody(
        _ bytes: UnsafeRawBufferPointer, head: Head, bodyStart: Int, length: Int
    ) -> ServerParseResult {
        guard bytes.count - bodyStart >= length else {
            state = .fixedBody(head, bodyStart: bodyStart, length: length)
            return .needMore
        }
        let body = length == 0 ? [] : [UInt8](UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<(bodyStart + length)]))
        return .request(makeRequest(head, body: body), consumed: bodyStart + length)
    }

    private mutating func decodeChunked(
        _ bytes: UnsafeRawBufferPointer, head: Head, bodyStart: Int, cursor start: Int, body start0: [UInt8],
        phase start1: ChunkPhase
    ) -> ServerParseResult {
        var cursor = start
        var body = start0
        var phase = start1
        let count = bytes.count
        // Raw chunked bytes stay in the caller's buffer until the request completes; cap them so tiny
        // chunks cannot make us hold many times the body limit.
        let rawLimit = 2 * maxBodyBytes + 64 * 1024
        while true {
            if cursor - bodyStart > rawLimit {
                return .error(status: 413, reason: "chunked body framing exceeds \(rawLimit) bytes")
            }
            switch phase {
            case .size:
                guard let lf = Self.indexOf(10, in: bytes, from: cursor, limit: Self.maxChunkLineBytes) else {
                    if count - cursor >= Self.maxChunkLineBytes {
                        return .error(status: 400, reason: "chunk size line too long")
                    }
                    state = .chunked(head, bodyStart: bodyStart, cursor: cursor, body: body, phase: phase)
                    return .needMore
                }
                guard lf > cursor, bytes[lf - 1] == 13 else {
                    return .error(status: 400, reason: "chunk size line without CRLF")
                }
                var size = 0
                var digits = 0
                var i = cursor
                while i < lf - 1, let value = Self.hexValue(bytes[i]) {
                    size = size << 4 | value
                    digits += 1
                    i += 1
                    if digits > 15 { return .error(status: 413, reason: "chunk size too large") }
                }
                // After the digits only whitespace before an extension (';...') is allowed.
                while i < lf - 1 && (bytes[i] == 32 || bytes[i] == 9) { i += 1 }
                guard digits > 0, i == lf - 1 || bytes[i] == UInt8(ascii: ";") else {
                    return .error(status: 400, reason: "malformed chunk size")
                }
                cursor = lf + 1
                if size == 0 {
                    phase = .trailers(bytes: 0)
                } else {
                    if body.count + size > maxBodyBytes {
                        return .error(status: 413, reason: "chunked body exceeds the \(maxBodyBytes)-byte limit")
                    }
                    if body.isEmpty { body.reserveCapacity(size) }
                    phase = .data(remaining: size)
                }
            case .data(let remaining):
                let available = min(remaining, count - cursor)
                if available > 0 {
                    body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + available)]))
                    cursor += available
                }
                if available < remaining {
                    state = .chunked(head, bodyStart: bodyStart, cursor: cursor,
                                     body: body, phase: .data(remaining: remaining - available))
                    return .needMore
                }
                phase = .dataEnd
            case .dataEnd:
                if count - cursor < 2 {
                    state = .chunked(head, bodyStart: bodyStart, cursor: cursor, body: body, phase: phase)
                    return .needMore
                }
                guard bytes[cursor] == 13, bytes[cursor + 1] == 10 else {
                    return .error(status: 400, reason: "chunk data not followed by CRLF")
                }
                cursor += 2
                phase = .size
            case .trailers(let seen):
                // Trailer fields are read and discarded (we never need them); an empty line ends the body.
                guard let lf = Self.indexOf(10, in: bytes, from: cursor, limit: maxHeaderBytes) else {
                    if seen + count - cursor > maxHeaderBytes {
                        return .error(status: 431, reason: "trailer fields exceed \(maxHeaderBytes) bytes")
                    }
                    state = .chunked(head, bodyStart: bodyStart, cursor: cursor, body: body, phase: phase)
                    return .needMore
                }
                guard lf > cursor, bytes[lf - 1] == 13 else {
                    return .error(status: 400, reason: "trailer line without CRLF")
                }
                let lineLength = lf + 1 - cursor
                cursor = lf + 1
                if lineLength == 2 {
                    return .request(makeRequest(head, body: body), consumed: cursor)
                }
                if seen + lineLength > maxHeaderBytes {
                    return .error(status: 431, reason: "trailer fields exceed \(maxHeaderBytes) bytes")
                }
                phase = .trailers(bytes: seen + lineLength)
            }
        }
    }

    private mutating func makeRequest(_ head: Head, body: [UInt8]) -> HTTPRequest {
        lastRequestIsHTTP10 = head.http10
        var request = HTTPRequest(parsedMethod: head.method, target: head.target, headers: head.headers, body: body)
        request.keepAlive = head.keepAlive
        return request
    }

    // MARK: - Byte helpers

    private func firstBareLF(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        var i = max(from, 0)
        while i < to {
            if bytes[i] == 10 && (i == 0 || bytes[i - 1] != 13) { return i }
            i += 1
        }
        return nil
    }

    private static func indexOf(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, limit: Int) -> Int? {
        let end = min(bytes.count, from + limit)
        var i = from
        while i < end {
            if bytes[i] == byte { return i }
            i += 1
        }
        return nil
    }

    /// RFC 9110 tchar: `!#$%&'*+-.^_`|~`, digits and letters.
    private static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    private static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 48...57: return Int(b - 48)
        case 97...102: return Int(b - 87)
        case 65...70: return Int(b - 55)
        default: return nil
        }
    }

    /// Non-negative decimal without sign or spaces; nil if malformed. Values too large for the body
    /// limit saturate instead of overflowing (they are rejected with 413 by the caller).
    private static func parseDecimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var value = 0
        for b in bytes {
            guard isDigit(b) else { return nil }
            value = value > (Int.max - 9) / 10 ? Int.max : value * 10 + Int(b - 48)
        }
        return value
    }

    /// Case-insensitive comparison of `bytes` with a lowercase ASCII literal.
    private static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for i in 0..<bytes.count {
            let b = bytes[i], e = expected[i]
            if b == e { continue }
            if e >= 97 && e <= 122 && b == e - 32 { continue }
            return false
        }
        return true
    }

    private static func equalsExactly(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for i in 0..<bytes.count where bytes[i] != expected[i] { return false }
        return true
    }

    /// Calls `body` with each comma-separated, whitespace-trimmed token of a header value.
    private static func forEachToken(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: ",") { end += 1 }
            var s = start, e = end
            while s < e && (bytes[s] == 32 || bytes[s] == 9) { s += 1 }
            while e > s && (bytes[e - 1] == 32 || bytes[e - 1] == 9) { e -= 1 }
            if e > s { body(UnsafeRawBufferPointer(rebasing: bytes[s..<e])) }
            start = end + 1
        }
    }
}

extension HTTPRequest {
    /// Server-side construction from parsed parts; `keepAlive` is set by the parser afterwards.
    fileprivate init(parsedMethod: String, target: String, headers: HTTPHeaders, body: [UInt8]) {
        self.method = parsedMethod
        self.target = target
        let split = Self.splitTarget(target)
        self.path = split.path
        self.query = split.query
        self.headers = headers
        self.body = body
        self.keepAlive = true
    }
}
