import Testing
@testable import Metrics

/// Reading Prometheus text and recognizing the common request, duration and memory families.
struct PrometheusTextTests {
    @Test func parsesLabelsEscapesSpecialValuesAndSkipsWhatItCannotRead() {
        let text = """
        # HELP x y
        # TYPE http_requests_total counter
        http_requests_total{method="GET",handler="/a \\"b\\"",status="200"} 12 1700000000
        up 1
        weird{unclosed="x} 3
        h_bucket{le="+Inf"} 4
        """
        let (samples, skipped) = PrometheusText.parse(text)
        #expect(skipped == 1)
        #expect(samples.count == 3)
        #expect(samples[0] == PrometheusSample(name: "http_requests_total",
                                               labels: ["method": "GET", "handler": "/a \"b\"", "status": "200"], value: 12))
        #expect(samples[1] == PrometheusSample(name: "up", value: 1))
        #expect(samples[2].labels["le"] == "+Inf")
    }

    @Test func commonNamesBecomeRSSAndPerRouteRequestsAndDurations() {
        let text = """
        process_resident_memory_bytes 2.5e+07
        http_requests_total{method="GET",handler="/tags",status="200"} 30
        http_requests_total{method="GET",handler="/tags",status="500"} 2
        http_requests_total{method="POST",handler="/users",status="201"} 4
        http_request_duration_seconds_bucket{method="GET",handler="/tags",le="0.01"} 16
        http_request_duration_seconds_bucket{method="GET",handler="/tags",le="0.1"} 32
        http_request_duration_seconds_bucket{method="GET",handler="/tags",le="+Inf"} 32
        http_request_duration_seconds_sum{method="GET",handler="/tags"} 0.64
        http_request_duration_seconds_count{method="GET",handler="/tags"} 32
        """
        let b = ScrapedBackend.snapshot(PrometheusText.parse(text).samples, status: ScrapeStatus(url: "http://x/metrics"))
        #expect(b.rssBytes == 25_000_000)
        #expect(b.routes.map(\.route) == ["GET /tags", "POST /users"])
        let tags = b.routes[0]
        #expect(tags.requests == 32)
        #expect(tags.latency.count == 32)
        #expect(abs(tags.latency.mean - 20_000_000) < 1)          // 0.64 s / 32
        #expect(tags.latency.p50 == 10_000_000)                   // the 16th of 32 is at the 10 ms bound
        #expect(b.scrape?.recognized == ["process_resident_memory_bytes", "http_requests_total", "http_request_duration_seconds"])
        #expect(b.scrape?.hasBreakdown == false)
        #expect(b.cache == nil && b.pool == nil)
    }

    @Test func dynosOwnFamiliesGiveTheFullServerView() {
        let text = """
        dyno_http_requests_total{route="GET /api/tags",status="200"} 10
        dyno_db_queries_total{route="GET /api/tags"} 20
        dyno_db_query_duration_seconds_sum{route="GET /api/tags"} 0.002
        dyno_stage_seconds_total{route="GET /api/tags",stage="db"} 0.003
        dyno_process_resident_memory_bytes 1000
        """
        let b = ScrapedBackend.snapshot(PrometheusText.parse(text).samples, status: ScrapeStatus(url: "u"))
        #expect(b.rssBytes == 1000)
        #expect(b.routes.count == 1)
        #expect(b.routes[0].route == "GET /api/tags" && b.routes[0].requests == 10 && b.routes[0].dbQueries == 20)
        #expect(b.routes[0].dbNanoseconds == 2_000_000 && b.routes[0].stageNanoseconds["db"] == 3_000_000)
        #expect(b.scrape?.hasBreakdown == true)
    }
}
