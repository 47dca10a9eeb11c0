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
        let row = ReportJSON.sample(s)
        #expect(Set(row.keys) == ["t", "offeredRate", "achievedRate", "errors", "inFlight", "p50", "p90", "p99", "max",
                                  "serviceP99", "cacheHitRate", "poolInUse", "rssBytes", "dbQueriesPerRequest"])
        #expect(row["t"] as? Double == 5)   // the end of second 4
        #expect(row["achievedRate"] as? Double == 950 && row["offeredRate"] as? Double == 1000)
        #expect(row["errors"] as? UInt64 == 3 && row["inFlight"] as? Int == 7)
        #expect(row["p99"] as? Double == ReportJSON.ms(h.percentile(99)) && row["max"] as? Double == 100)
        #expect(row["serviceP99"] as? Double == 42)
        #expect(row["cacheHitRate"] as? Double == 0.8 && row["dbQueriesPerRequest"] as? Double == 5)
        // Without probes the backend fields are left out, not zero.
        s.backend = nil
        #expect(Set(ReportJSON.sample(s).keys).isDisjoint(with: ["cacheHitRate", "poolInUse", "rssBytes", "dbQueriesPerRequest"]))
    }
}
