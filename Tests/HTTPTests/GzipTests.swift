import HTTP
import Testing

@Suite struct GzipTests {
    @Test func roundTripsAndShrinksJSON() throws {
        let json = Array(String(repeating: #"{"slug":"how-to-train-your-dragon","tagList":["dragons","training"]},"#, count: 200).utf8)
        let compressed = Gzip.compress(json)
        #expect(compressed.count < json.count / 5)
        #expect(compressed.prefix(2) == [0x1f, 0x8b])   // gzip magic
        #expect(try Gzip.decompress(compressed) == json)
        for level in [Int32(1), 6, 9] { #expect(try Gzip.decompress(Gzip.compress(json, level: level)) == json) }
    }

    @Test func emptyAndIncompressibleBodiesRoundTrip() throws {
        #expect(try Gzip.decompress(Gzip.compress([])) == [])
        var state: UInt64 = 0x9E3779B97F4A7C15
        let noise = (0..<10_000).map { _ -> UInt8 in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        #expect(try Gzip.decompress(Gzip.compress(noise)) == noise)
    }

    @Test func truncatedOrCorruptStreamsAreErrors() {
        let compressed = Gzip.compress(Array(String(repeating: "abc", count: 1000).utf8))
        #expect(throws: Gzip.DecodingError.self) { try Gzip.decompress(Array(compressed.dropLast(10))) }
        #expect(throws: Gzip.DecodingError.self) { try Gzip.decompress([0x1f, 0x8b, 1, 2, 3, 4]) }
    }

    @Test func decodedSizeIsCapped() {
        let compressed = Gzip.compress([UInt8](repeating: 0, count: 1 << 20))
        #expect(throws: Gzip.DecodingError.self) { try Gzip.decompress(compressed, limit: 4096) }
    }

    @Test func acceptEncodingIsParsedWithQValues() {
        #expect(Gzip.accepted(by: ["Accept-Encoding": "gzip, deflate, br"]))
        #expect(Gzip.accepted(by: ["Accept-Encoding": "br;q=1.0, GZIP;q=0.5"]))
        #expect(Gzip.accepted(by: ["Accept-Encoding": "*"]))
        #expect(!Gzip.accepted(by: ["Accept-Encoding": "gzip;q=0"]))
        #expect(!Gzip.accepted(by: ["Accept-Encoding": "identity"]))
        #expect(!Gzip.accepted(by: [:]))
    }

    /// The load generator's parser inflates a gzip body as it arrives, in any split, and counts the decoded size
    /// beside the wire bytes; a plain body counts as received.
    @Test func theResponseParserCountsDecodedBytesOfGzipBodies() throws {
        let json = Array(String(repeating: #"{"article":{"slug":"s","body":"text text text"}},"#, count: 400).utf8)
        let gzip = Gzip.compress(json)
        var chunked: [UInt8] = Array("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        for piece in stride(from: 0, to: gzip.count, by: 700).map({ gzip[$0..<min($0 + 700, gzip.count)] }) {
            chunked += Array(String(piece.count, radix: 16).utf8) + [13, 10] + piece + [13, 10]
        }
        chunked += Array("0\r\n\r\n".utf8)
        var parser = ResponseParser(decodesGzip: true)
        for split in [1, 97, 4096] {
            parser.reset()
            var offset = 0
            var complete = false
            while offset < chunked.count {
                let end = min(offset + split, chunked.count)
                let (consumed, done) = try parser.parse(Array(chunked[offset..<end]))
                offset += consumed
                complete = done
                if done { break }
            }
            #expect(complete)
            #expect(parser.gzipped)
            #expect(parser.bodyBytes == gzip.count)
            #expect(parser.contentBytes == json.count)
            #expect(parser.wireBytes == chunked.count)
        }
        var plain = ResponseParser(decodesGzip: true)
        _ = try plain.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8))
        #expect(!plain.gzipped)
        #expect(plain.contentBytes == 5)
    }
}
