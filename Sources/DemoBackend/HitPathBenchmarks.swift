import HTTP
import Metrics
import Synchronization

/// The whole path of a request answered on the event loop, minus the socket calls: parse the bytes as they arrive →
/// route → the cached bytes (or the ping) → the response written into a reused output buffer. Its allocations per
/// op are the mallocs per request of a cache hit (issue 13; README "Performance").
enum HitPathBenchmarks {
    static let all: [Benchmark] = [
        Benchmark("hit-path.cached-list", "GET /api/articles?limit=20 (anonymous, cached): parse → route → cached bytes → response bytes") {
            try loop(target: "/api/articles?limit=20")
        },
        Benchmark("hit-path.cached-list-gzip", "the same with Accept-Encoding: gzip (compression=gzip): the entry's stored gzip variant") {
            try loop(target: "/api/articles?limit=20", extraHeaders: "Accept-Encoding: gzip\r\n")
        },
        Benchmark("hit-path.ping", "GET /debug/ping: parse → route → fixed body → response bytes (the HTTP server's floor)") {
            try loop(target: "/debug/ping")
        },
    ]

    /// A request as wrk sends it (wrk adds only Host), plus `extraHeaders` (CRLF-terminated lines).
    static func requestBytes(_ target: String, extraHeaders: String = "") -> [UInt8] {
        Array("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\(extraHeaders)\r\n".utf8)
    }

    private static func loop(target: String, extraHeaders: String = "") throws -> Benchmark.Loop {
        let backend = try HitPathBackend.shared()
        let api = backend.api
        let bytes = requestBytes(target, extraHeaders: extraHeaders)
        // Warm the cache through the full path (a miss loads and stores the encoded body).
        let warm = api.handle(HTTPRequest(method: "GET", target: target))
        guard warm.status == 200, api.immediateResponse(HTTPRequest(method: "GET", target: target), receivedAt: 0) != nil else {
            throw BenchmarkSetupError(message: "\(target): no immediate response after warming (status \(warm.status))")
        }
        let dateLine = Array("Date: Sat, 05 Dec 2026 12:00:00 GMT\r\n".utf8)
        return { n in
            var parser = ServerRequestParser()
            var out: [UInt8] = []
            out.reserveCapacity(16_384)
            for _ in 0..<n {
                guard case .request(let request, _) = bytes.withUnsafeBytes({ parser.parse($0) }),
                      let response = api.immediateResponse(request, receivedAt: MonotonicClock.nanoseconds()) else { return }
                out.removeAll(keepingCapacity: true)
                ServerResponseEncoder.encode(response, into: &out, omitBody: false, close: false, keepAliveHeader: false,
                                             dateLine: dateLine)
            }
            benchmarkBlackHole(out)
        }
    }
}

struct BenchmarkSetupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A demo backend over the benchmark database (optimized preset, cache on), assembled once per process and never
/// started: the benchmarks call its API directly.
final class HitPathBackend: Sendable {
    let backend: DemoBackend
    var api: ConduitAPI { backend.api }
    private init(_ backend: DemoBackend) { self.backend = backend }

    private static let made = Mutex<HitPathBackend?>(nil)

    static func shared() throws -> HitPathBackend {
        try made.withLock { made in
            if let made { return made }
            _ = try BenchmarkDatabase.shared()
            var configuration = DemoBackendConfiguration()
            configuration.dataDirectory = BenchmarkDatabase.directory
            configuration.scale = BenchmarkDatabase.scale
            configuration.preset = .optimized
            configuration.knobSource = "bench"
            configuration.errorSink = { _ in }
            let backend = HitPathBackend(try DemoBackend.assemble(configuration, progress: { _ in }).backend)
            made = backend
            return backend
        }
    }
}
