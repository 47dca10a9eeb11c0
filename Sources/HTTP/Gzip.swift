// gzip content coding (RFC 9110 §8.4.1.3) through the system zlib: the server compresses response bodies, the
// client and load generator inflate them to count decoded bytes.
import CZlib

public enum Gzip {
    /// Level 1 (zlib's fastest): on Conduit JSON it keeps most of level 6's size gain for a fraction of the CPU
    /// (measured in Tests/HTTPTests/GzipBenchmark.swift — see the README's compression notes). On 2 cores shared
    /// by the load generator and the backend, CPU is the scarce resource; loopback bandwidth is not.
    public static let defaultLevel: Int32 = 1

    /// The gzip stream of `input` at `level` (0...9). Whole-buffer compression in one `deflate(Z_FINISH)` call
    /// into an output buffer sized by `deflateBound`, so it never regrows.
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's. memLevel 8 is zlib's default.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            preconditionFailure("zlib deflateInit2 failed (out of memory)")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        return [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            var input = input
            input.withUnsafeMutableBufferPointer { source in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                let result = deflate(&stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "zlib deflate did not finish within deflateBound")
            }
            count = Int(stream.total_out)
        }
    }

    public struct DecodingError: Error, CustomStringConvertible, Equatable {
        public let message: String
        public var description: String { "gzip: \(message)" }
    }

    /// Inflates a gzip stream; `limit` caps the decoded size (a small body must not expand into gigabytes).
    public static func decompress(_ input: [UInt8], limit: Int = 64 << 20) throws(DecodingError) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DecodingError(message: "inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(max(256, input.count * 4))
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var input = input
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: out[0..<(out.count - Int(stream.avail_out))])
                }
            } while status == Z_OK && output.count <= limit && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        guard output.count <= limit else { throw DecodingError(message: "decoded body larger than \(limit) bytes") }
        guard status == Z_STREAM_END else {
            throw DecodingError(message: status == Z_OK || status == Z_BUF_ERROR ? "truncated stream" : "corrupt stream (zlib \(status))")
        }
        return output
    }

    /// Whether `Accept-Encoding` allows gzip: a `gzip` (or `x-gzip`, or `*`) coding whose q-value is not 0.
    public static func accepted(by headers: HTTPHeaders) -> Bool {
        for value in headers.values("Accept-Encoding") {
            for part in value.split(separator: ",") {
                let pieces = part.split(separator: ";")
                guard let name = pieces.first?.trimmedOfSpacesAndTabs().lowercased() else { continue }
                guard name == "gzip" || name == "x-gzip" || name == "*" else { continue }
                let zero = pieces.dropFirst().contains { param in
                    let p = param.trimmedOfSpacesAndTabs().lowercased()
                    return p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
                }
                if !zero { return true }
            }
        }
        return false
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (no Foundation in this module).
    fileprivate func trimmedOfSpacesAndTabs() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
