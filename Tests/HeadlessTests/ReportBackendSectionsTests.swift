import Foundation
@testable import Headless
import Metrics
import Testing

/// report.json's `backend`: the jobs queue, the dependency, its breakers and the payload knobs, as a headless reader
/// finds them (the console panels and `/metrics` show the same probes).
@Suite("report.json backend sections")
struct ReportBackendSectionsTests {
    static func roundTrip(_ b: BackendSnapshot) throws -> [String: Any] {
        let data = try JSONSerialization.data(withJSONObject: BackendJSON.document(b))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func jobsDependencyAndBreakersAreReported() throws {
        var b = BackendSnapshot()
        var jobs = JobsProbe()
        jobs.mode = .queued; jobs.queueDepth = 7; jobs.completed = 120; jobs.dead = 2
        b.jobs = jobs
        var dep = DependencyProbe()
        dep.io = .async; dep.fault = .hang; dep.calls = 900; dep.failures = 40
        b.dependency = dep
        var breaker = BreakerProbe(dependency: "recommendations")
        breaker.state = .open; breaker.rejected = 310; breaker.secondsOpen = 12.5
        b.breakers = [breaker]
        let doc = try Self.roundTrip(b)
        let j = try #require(doc["jobs"] as? [String: Any])
        #expect(j["mode"] as? String == "queued" && j["queueDepth"] as? Int == 7 && j["completed"] as? Int == 120 && j["dead"] as? Int == 2)
        let d = try #require(doc["dependency"] as? [String: Any])
        #expect(d["fault"] as? String == "hang" && d["io"] as? String == "async" && d["failures"] as? Int == 40)
        let br = try #require((doc["breakers"] as? [[String: Any]])?.first)
        #expect(br["dependency"] as? String == "recommendations" && br["state"] as? String == "open" && br["rejected"] as? Int == 310)
        #expect(br["secondsOpen"] as? Double == 12.5)
    }

    @Test func payloadKnobsAreReportedAndAbsentProbesLeaveNoSection() throws {
        var b = BackendSnapshot()
        var c = CompressionProbe()
        c.mode = .gzip; c.bytesIn = 1000; c.bytesOut = 250; c.compressedResponses = 4
        b.compression = c
        var p = PagingProbe()
        p.mode = .bounded; p.limitCap = 500; p.streamedExports = 3
        b.paging = p
        let doc = try Self.roundTrip(b)
        let comp = try #require(doc["compression"] as? [String: Any])
        #expect(comp["ratio"] as? Double == 0.25 && comp["mode"] as? String == "gzip")
        #expect((doc["paging"] as? [String: Any])?["streamedExports"] as? Int == 3)
        // Probes the backend did not give (an external target, or a backend without the knob): no section, not zeros.
        for key in ["jobs", "dependency", "breakers", "encoding"] { #expect(doc[key] == nil, "\(key)") }
    }
}
