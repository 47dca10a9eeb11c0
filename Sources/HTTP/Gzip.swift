// gzip content coding (RFC 9110 §8.4.1.3) through the system zlib: the server compresses response bodies, the
// client and load generator inflate them to count decoded bytes.
import CZlib
import Glibc

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

/// Counts the decoded size of a gzip body fed piece by piece, as it arrives (the load generator's hot path): the
/// output goes to a reused scratch buffer and is dropped, so memory stays at zlib's window whatever the body's size.
///
/// `@unchecked Sendable`: it holds zlib's mutable stream, used only by the one `ResponseParser` that created it,
/// and a parser is driven by one thread at a time (a load worker owns its connections' parsers). Never share one.
public final class GzipInflater: @unchecked Sendable {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 16 * 1024)
    private var ready = false
    /// Decoded bytes of the current body so far.
    public private(set) var decodedBytes = 0
    /// The body was not valid gzip (decoding stopped there; `decodedBytes` counts what came before).
    public private(set) var failed = false

    public init() {
        stream.initialize(to: z_stream())
        ready = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
        failed = !ready
    }

    deinit {
        if ready { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    /// Starts a new body.
    public func reset() {
        decodedBytes = 0
        failed = !ready
        if ready { inflateReset(stream) }
    }

    /// Decodes `bytes` (the next piece of the body) and counts the output.
    public func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !failed, let base = bytes.baseAddress, !bytes.isEmpty else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base)
        stream.pointee.avail_in = uInt(bytes.count)
        repeat {
            stream.pointee.next_out = scratch.baseAddress
            stream.pointee.avail_out = uInt(scratch.count)
            let status = inflate(stream, Z_NO_FLUSH)
            decodedBytes += scratch.count - Int(stream.pointee.avail_out)
            if status == Z_STREAM_END { return }
            if status != Z_OK && status != Z_BUF_ERROR { failed = true; return }
        } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
    }
}

/// A streamed body gzip-compressed piece by piece as it is produced (a streamed export under `compression=gzip`):
/// one deflate stream across the pieces, finished at the end, so the client inflates one gzip body. Each piece is
/// compressed on the thread that produced it (the backend's worker), never on the serving loop.
///
/// `@unchecked Sendable`: zlib's stream is mutable, but `HTTPBodyStream`'s contract serializes its use — the
/// server asks for the next piece only after the previous one was delivered, and `deliver` runs once per `next`.
public final class GzipBodyStream: HTTPBodyStream, @unchecked Sendable {
    private let inner: any HTTPBodyStream
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let ready: Bool
    private let observe: @Sendable (_ bytesIn: Int, _ bytesOut: Int, _ nanoseconds: UInt64) -> Void

    /// - Parameter observe: told each piece's size before and after and the time spent in zlib.
    public init(_ inner: any HTTPBodyStream, level: Int32 = Gzip.defaultLevel,
                observe: @escaping @Sendable (Int, Int, UInt64) -> Void = { _, _, _ in }) {
        self.inner = inner
        self.observe = observe
        stream.initialize(to: z_stream())
        ready = deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                              Int32(MemoryLayout<z_stream>.size)) == Z_OK
    }

    deinit {
        if ready { deflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    public func next(_ deliver: @escaping @Sendable (HTTPBodyPiece) -> Void) {
        guard ready else { inner.cancel(); return deliver(.abort) }
        if finished { return deliver(.end) }
        inner.next { [self] piece in
            switch piece {
            case .bytes(let bytes):
                deliver(.bytes(self.deflate(bytes, flush: Z_NO_FLUSH)))
            case .end:
                // The gzip trailer goes out as the last piece; the end follows at the next request.
                self.finished = true
                deliver(.bytes(self.deflate([], flush: Z_FINISH)))
            case .abort:
                deliver(.abort)
            }
        }
    }

    public func cancel() { inner.cancel() }

    /// Set once the inner stream ended and the trailer was produced: the next request gets `.end`.
    private var finished = false

    private func deflate(_ input: [UInt8], flush: Int32) -> [UInt8] {
        let started = nowNanoseconds()
        var output: [UInt8] = []
        var input = input
        var chunk = [UInt8](repeating: 0, count: max(16 * 1024, input.count / 2))
        input.withUnsafeMutableBufferPointer { source in
            stream.pointee.next_in = source.baseAddress
            stream.pointee.avail_in = uInt(source.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    _ = CZlib.deflate(stream, flush)
                    output.append(contentsOf: out[0..<(out.count - Int(stream.pointee.avail_out))])
                }
            } while stream.pointee.avail_out == 0
        }
        observe(input.count, output.count, nowNanoseconds() &- started)
        return output
    }

    private func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
