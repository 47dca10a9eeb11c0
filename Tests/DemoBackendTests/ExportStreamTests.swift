@testable import DemoBackend
import Dispatch
import HTTP
import Testing
import TestSupport

/// The bounded export (`paging=bounded`): 100,000 articles with bodies streamed through the real HTTP server
/// in constant memory. The client first reads nothing, so the server must stop producing (back-pressure), then
/// reads everything. The two places an export could pile up are measured directly, not through the process's heap
/// (other tests run alongside and allocate in the same process: a heap bound here failed under the suite's load):
/// the stream holds one batch of rows and one encoded piece at a time, and the server's unsent output never
/// exceeds its limit plus one piece, while well over 100 MB go out.
@Suite struct ExportStreamTests {
    static let articleCount: Int64 = 100_000
    static let body = String(repeating: "Streaming keeps memory flat; buffering does not. ", count: 30)   // 1.5 kB

    /// Articles `afterID+1 ...` (at most `limit`) of a synthetic export of `articleCount`.
    static func batch(after afterID: Int64, limit: Int) -> [Article] {
        let end = min(afterID + Int64(limit), articleCount)
        guard afterID < end else { return [] }
        let author = Profile(id: 1, username: "streamer", bio: nil, image: nil, following: false)
        return ((afterID + 1)...end).map { id in
            Article(id: id, slug: "article-\(id)", title: "Article \(id)", description: "number \(id)", body: body,
                    tagList: ["export"], createdAt: 1_700_000_000_000 + id, updatedAt: 1_700_000_000_000 + id,
                    favorited: false, favoritesCount: id % 7, author: author)
        }
    }

    @Test func aBoundedExportOf100kArticlesStreamsInConstantMemory() throws {
        let statistics = PayloadStatistics()
        var configuration = HTTPServerConfiguration()
        configuration.threads = 1
        configuration.maxOutputBufferBytes = 1 << 20
        let server = HTTPServer(configuration: configuration) { _, responder in
            let stream = ExportStream(
                fetch: { afterID, limit in Self.batch(after: afterID, limit: limit) },
                encodeArticle: { PayloadEncoding.direct.encodeArticle($0) },
                statistics: statistics,
                run: { work in DispatchQueue.global().async(execute: work); return true },
                failed: { error in Issue.record("export failed: \(error)") })
            responder.respond(HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], stream: stream))
        }
        try server.start()
        defer { server.stop() }

        let client = try RawSocketClient(port: server.port, timeout: .seconds(60))
        try client.send("GET /api/export?tag=export HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        // Not reading: the server fills the socket buffers and its output limit, then stops asking for batches.
        #expect(waitUntilBlocking(deadline: .seconds(60)) { server.stats.backPressuredConnections == 1 })

        var tail: [UInt8] = []
        let total = try client.drainUntilClosed { piece in
            tail = Array((tail + piece.suffix(64)).suffix(64))
        }
        #expect(total > 150_000_000)
        #expect(String(decoding: tail, as: UTF8.self).hasSuffix("],\"articlesCount\":100000}\r\n0\r\n\r\n"))
        #expect(statistics.rowsMaterialized.value == UInt64(Self.articleCount))
        #expect(statistics.peakRowsPerRequest == ExportStream.batchSize)   // one batch held at a time
        // 150+ MB streamed: one encoded piece at a time (100 articles of ~1.6 kB), and the server's unsent output
        // reached its limit (the client was not reading) but never more than the limit plus one piece.
        let piece = statistics.peakResponseBytes
        #expect(piece > 0 && piece < 1 << 20)
        let peakUnsent = server.stats.peakStreamUnsentBytes
        #expect(peakUnsent >= configuration.maxOutputBufferBytes, "back-pressure never filled the output: \(peakUnsent) bytes")
        #expect(peakUnsent <= configuration.maxOutputBufferBytes + piece + 64, "unsent output grew to \(peakUnsent) bytes")
    }
}

/// `GET /api/export` through the demo backend: the streamed (bounded) export parses to the same JSON as the whole
/// (unbounded) one, under both encodings, and goes out chunked.
@Suite struct ExportRouteTests {
    @Test func theStreamedExportEqualsTheWholeOneUnderBothEncodings() throws {
        let api = try APITestBackend()
        let tag = try #require(api.request("GET", "/api/tags").json?["tags"]?[0]?.stringValue)
        let target = "/api/export?tag=\(tag)"
        try api.knobs.set(["paging": "unbounded", "encoding": "direct"], source: "test")
        let whole = try api.request("GET", target)
        #expect(whole.status == 200)
        let expected = try #require(whole.json)
        #expect((expected["articles"]?.arrayValue?.count ?? 0) > 0)
        for encoding in ["direct", "foundation"] {
            try api.knobs.set(["paging": "bounded", "encoding": encoding], source: "test")
            let streamed = try HTTPClient.send(HTTPRequest(method: "GET", target: target), to: "127.0.0.1", port: api.port)
            #expect(streamed.status == 200)
            #expect(streamed.headers["Transfer-Encoding"] == "chunked")
            let parsed = try JSONParser.parse(streamed.body)
            #expect(parsed.sameValue(as: expected), "\(encoding)")
        }
        // compression=gzip: the stream is deflated piece by piece into one gzip body.
        try api.knobs.set(["paging": "bounded", "encoding": "direct", "compression": "gzip"], source: "test")
        let gzipped = try HTTPClient.send(HTTPRequest(method: "GET", target: target, headers: ["Accept-Encoding": "gzip"]),
                                          to: "127.0.0.1", port: api.port)
        #expect(gzipped.headers["Content-Encoding"] == "gzip")
        #expect(gzipped.headers["Vary"] == "Accept-Encoding")
        let inflated = try Gzip.decompress(gzipped.body)
        #expect(inflated.count > gzipped.body.count)
        #expect(try JSONParser.parse(inflated).sameValue(as: expected))
    }
}
