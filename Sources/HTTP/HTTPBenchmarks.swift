import Metrics

/// The HTTP module's critical operations for `dyno bench`.
public enum HTTPBenchmarks {
    static let request = Array("""
        GET /api/articles?tag=lorem&limit=20&offset=0 HTTP/1.1\r
        Host: 127.0.0.1:8080\r
        User-Agent: dyno\r
        Accept: application/json\r
        Accept-Encoding: gzip\r
        Authorization: Token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjEyMzR9.c2lnbmF0dXJl\r
        \r

        """.utf8)

    public static let all: [Benchmark] = [
        Benchmark("http.parse-request", "ServerRequestParser on a typical Conduit GET with 5 headers") {
            { n in
                var parser = ServerRequestParser()
                for _ in 0..<n {
                    parser.reset()
                    benchmarkBlackHole(parser.parse(request))
                }
            }
        },
        Benchmark("http.write-response", "ServerResponseEncoder: a 200 with 2 headers and a 10 KB body into a reused buffer") {
            let response = HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json; charset=utf-8"),
                                                                           ("Vary", "Accept-Encoding")]),
                                        body: [UInt8](repeating: 0x61, count: 10_000))
            return { n in
                var out: [UInt8] = []
                out.reserveCapacity(16_384)
                for _ in 0..<n {
                    out.removeAll(keepingCapacity: true)
                    ServerResponseEncoder.encode(response, into: &out, omitBody: false, close: false, keepAliveHeader: false)
                }
                benchmarkBlackHole(out)
            }
        },
    ]
}
