import Foundation
@testable import Headless
import Metrics
import Testing

/// What a headless reader (`dyno verify`, CI) finds about memory in report.json.
@Suite("report.json memory")
struct ReportMemoryTests {
    @Test func backendMemoryCarriesTheLeakVerdictOverAnonymousMemory() throws {
        var m = MemoryProbe()
        m.mode = .unbounded
        m.rssAnonBytes = 80 << 20; m.rssFileBytes = 400 << 20; m.heapInUseBytes = 60 << 20; m.heapFreeBytes = 3 << 20
        m.anon.verdict = .growing; m.anon.slopeBytesPerSecond = 250_000; m.anon.fit = 0.93; m.anon.samples = 120
        m.heap.verdict = .growing; m.heap.slopeBytesPerSecond = 240_000; m.heap.fit = 0.95
        m.memoEntries = 5000; m.memoBytes = 40 << 20
        var b = BackendSnapshot()
        b.memory = m
        // Through JSON, as a reader sees it.
        let data = try JSONSerialization.data(withJSONObject: BackendJSON.document(b))
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let memory = try #require(doc["memory"] as? [String: Any])
        #expect(memory["verdict"] as? String == "growing")
        #expect(memory["mode"] as? String == "unbounded")
        #expect(memory["rssAnonBytes"] as? Int == 80 << 20 && memory["rssFileBytes"] as? Int == 400 << 20)
        let anon = try #require(memory["anon"] as? [String: Any])
        #expect(anon["slopeBytesPerSecond"] as? Double == 250_000 && anon["fit"] as? Double == 0.93 && anon["samples"] as? Int == 120)
        let rule = try #require(memory["rule"] as? [String: Any])
        #expect(rule["minimumSamples"] as? Int == LeakDetector.Configuration().minimumSamples)
        #expect(rule["growthThresholdBytesPerSecond"] as? Double == LeakDetector.Configuration().growthThresholdBytesPerSecond)
        #expect((memory["memo"] as? [String: Any])?["entries"] as? Int == 5000)
        // No memory probe (an external target): no memory object, not zeros.
        #expect(BackendJSON.document(BackendSnapshot())["memory"] == nil)
    }

    @Test func aSecondCarriesAnonymousAndFileBackedMemoryApart() throws {
        var s = SecondSample(second: 9)
        var rates = BackendRates()
        rates.rssBytes = 500 << 20; rates.rssAnonBytes = 70 << 20; rates.rssFileBytes = 430 << 20; rates.heapInUseBytes = 55 << 20
        s.backend = rates
        let row = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(ReportJSON.sample(s))) as? [String: Any])
        #expect(row["rssAnonBytes"] as? Int == 70 << 20)
        #expect(row["rssFileBytes"] as? Int == 430 << 20)
        #expect(row["heapInUseBytes"] as? Int == 55 << 20)
        s.backend?.rssAnonBytes = nil; s.backend?.rssFileBytes = nil; s.backend?.heapInUseBytes = nil
        let bare = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(ReportJSON.sample(s))) as? [String: Any])
        #expect(Set(bare.keys).isDisjoint(with: ["rssAnonBytes", "rssFileBytes", "heapInUseBytes"]))
    }
}
