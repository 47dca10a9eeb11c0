// Serialising responses straight into a connection's output buffer.

/// Appends HTTP/1.1 responses to a byte buffer: status line, the handler's headers, our framing headers,
/// then the body — one contiguous buffer so a batch of (pipelined) responses goes out in one `send`.
public enum ServerResponseEncoder {
    /// How the client finds the end of the body.
    public enum Framing {
        /// `Content-Length` of `body` (every whole response).
        case contentLength
        /// `Transfer-Encoding: chunked`: `body` is the first chunk, the stream's pieces follow (HTTP/1.1).
        case chunked
        /// Neither: the body ends when the connection closes (a streamed body to an HTTP/1.0 client).
        case untilClose
    }

    /// - Parameters:
    ///   - omitBody: true for HEAD requests (Content-Length still describes the body).
    ///   - close: adds `Connection: close`.
    ///   - keepAliveHeader: adds `Connection: keep-alive` (HTTP/1.0 clients need it to keep the connection).
    ///   - dateLine: a whole `Date: …\r\n` line (`ServerDateLine`), sent unless the handler set its own `Date`.
    public static func encode(_ response: HTTPResponse, into out: inout [UInt8], omitBody: Bool, close: Bool,
                              keepAliveHeader: Bool, framing: Framing = .contentLength, dateLine: [UInt8] = []) {
        let status = (100...999).contains(response.status) ? response.status : 500
        // RFC 9110 §8.6: no Content-Length (and no body) on 1xx, 204 and 304.
        let bodyless = status < 200 || status == 204 || status == 304
        let body = response.body
        // Reserve only when it must grow, and then at least double: `reserveCapacity` allocates exactly
        // what it is asked for, so reserving a little more for each of many pipelined responses would copy
        // the whole buffer every time (quadratic).
        let needed = out.count + 64 + dateLine.count + body.count + response.headers.count * 32
        if out.capacity < needed { out.reserveCapacity(max(needed, 2 * out.capacity)) }

        appendASCII("HTTP/1.1 ", to: &out)
        out.append(UInt8(48 + status / 100))
        out.append(UInt8(48 + status / 10 % 10))
        out.append(UInt8(48 + status % 10))
        out.append(32)
        out.append(contentsOf: HTTPResponse.reasonPhrase(status).utf8)
        out.append(13); out.append(10)

        var handlerDate = false
        for field in response.headers {
            if HTTPHeaders.equalsIgnoringCase(field.name, "date") { handlerDate = true }
            // Framing is ours: a handler's Content-Length, Transfer-Encoding or Connection would conflict.
            if HTTPHeaders.equalsIgnoringCase(field.name, "content-length")
                || HTTPHeaders.equalsIgnoringCase(field.name, "transfer-encoding")
                || HTTPHeaders.equalsIgnoringCase(field.name, "connection") {
                continue
            }
            out.append(contentsOf: field.name.utf8)
            out.append(58); out.append(32)  // ": "
            out.append(contentsOf: field.value.utf8)
            out.append(13); out.append(10)
        }
        if !handlerDate { out.append(contentsOf: dateLine) }
        if !bodyless {
            switch framing {
            case .contentLength:
                appendASCII("Content-Length: ", to: &out)
                appendDecimal(body.count, to: &out)
                out.append(13); out.append(10)
            case .chunked:
                appendASCII("Transfer-Encoding: chunked\r\n", to: &out)
            case .untilClose:
                break
            }
        }
        if close {
            appendASCII("Connection: close\r\n", to: &out)
        } else if keepAliveHeader {
            appendASCII("Connection: keep-alive\r\n", to: &out)
        }
        out.append(13); out.append(10)
        if !bodyless && !omitBody && !body.isEmpty {
            if framing == .chunked { appendChunk(body, to: &out) } else { out.append(contentsOf: body) }
        }
    }

    /// One chunk of a chunked body: size in hex, CRLF, the bytes, CRLF (RFC 9112 §7.1). Never empty (an empty
    /// chunk ends the body).
    static func appendChunk(_ bytes: [UInt8], to out: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        out.append(contentsOf: String(bytes.count, radix: 16).utf8)
        out.append(13); out.append(10)
        out.append(contentsOf: bytes)
        out.append(13); out.append(10)
    }

    /// The last chunk (no trailers): the end of a chunked body.
    static func appendLastChunk(to out: inout [UInt8]) {
        appendASCII("0\r\n\r\n", to: &out)
    }

    /// The interim response sent when a request with `Expect: 100-continue` waits for its body.
    static func appendContinue(to out: inout [UInt8]) {
        appendASCII("HTTP/1.1 100 Continue\r\n\r\n", to: &out)
    }

    @inline(__always)
    private static func appendASCII(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 { out.append(UInt8(48 + value)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[19 - count] = UInt8(48 + rest % 10)
                rest /= 10
                count += 1
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(20 - count)...]))
        }
    }
}
