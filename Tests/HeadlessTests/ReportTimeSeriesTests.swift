import Foundation
@testable import Headless
import Metrics
import Testing

@Suite("report.json time series")
struct ReportTimeSeriesTests {
    @Test func aRowCarriesTheFoldsSampleUnderTheSchemasNames() throws {
        var s = SecondSample(second: 4)
        s.rate = 950; s.offered = 1000; s.errors = 3; s.inFlight = 7
        var h = LatencyHistogram()
        for ms in 1...100 { h.record(nanoseconds: UInt64(ms) * 1_000_000) }
        s.latency = h.summary
        s.service = LatencySummary(count: 100, p99: 42_000_000)
        var backend = BackendRates()
        backend.cacheHitRate = 0.8; backend.poolInUse = 3; backend.rssBytes = 1 << 20; backend.queriesPerRequest = 5
        s.backend = backend
        // Through the JSON, as a reader sees it.
        func row(_ s: SecondSample) throws -> [String: Any] {
            let encoder = JSONEncoder()
            return try #require(try JSONSerialization.jsonObject(with: encoder.encode(ReportJSON.sample(s))) as? [String: Any])
        }
        let r = try row(s)
        #expect(Set(r.keys) == ["t", "offeredRate", "achievedRate", "errors", "inFlight", "p50", "p90", "p95", "p99", "max",
                                "serviceP99", "cacheHitRate", "poolInUse", "rssBytes", "dbQueriesPerRequest", "unexpectedErrors"])
        #expect(r["t"] as? Double == 5)   // the end of second 4
        #expect(r["achievedRate"] as? Double == 950 && r["offeredRate"] as? Double == 1000)
        #expect(r["errors"] as? Int == 3 && r["inFlight"] as? Int == 7)
        #expect(r["p99"] as? Double == ReportJSON.ms(h.percentile(99)) && r["max"] as? Double == 100)
        #expect(r["p95"] as? Double == ReportJSON.ms(h.percentile(95)))
        #expect(r["serviceP99"] as? Double == 42)
        #expect(r["cacheHitRate"] as? Double == 0.8 && r["dbQueriesPerRequest"] as? Double == 5)
        // Without probes the backend fields are left out, not zero.
        s.backend = nil
        #expect(Set(try row(s).keys).isDisjoint(with: ["cacheHitRate", "poolInUse", "rssBytes", "dbQueriesPerRequest"]))
    }
}
