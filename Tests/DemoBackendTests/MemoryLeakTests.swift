@testable import DemoBackend
import Metrics
import Synchronization
import Testing

@Suite struct MemoryLeakTests {
    /// A mode switch the test flips.
    final class ModeBox: Sendable {
        let raw: Atomic<Int>
        init(_ mode: RenderedResponseMemo.Mode) { raw = Atomic(mode.rawValue) }
        var mode: RenderedResponseMemo.Mode { RenderedResponseMemo.Mode(rawValue: raw.load(ordering: .relaxed))! }
    }

    static func memo(_ mode: RenderedResponseMemo.Mode, maxBytes: Int = 64 * 1024,
                     ttlSeconds: UInt64 = 30) -> (RenderedResponseMemo, ModeBox) {
        let box = ModeBox(mode)
        var limits = RenderedResponseMemo.Limits()
        limits.maxBytes = maxBytes
        limits.ttlNanoseconds = ttlSeconds * 1_000_000_000
        return (RenderedResponseMemo(limits: limits, mode: { box.mode }), box)
    }

    static let second: UInt64 = 1_000_000_000

    @Test func servesOnlyTheCurrentGeneration() {
        let (memo, _) = Self.memo(.unbounded)
        let key = RenderedResponseMemo.Key(viewer: 3, target: "/api/tags")
        memo.store(key, body: [1, 2, 3], etag: "\"t\"", generation: memo.generation, now: 0)
        #expect(memo.lookup(key, now: 1)?.body == [1, 2, 3])
        #expect(memo.lookup(RenderedResponseMemo.Key(viewer: -1, target: "/api/tags"), now: 1) == nil)   // other user
        memo.dataChanged()
        #expect(memo.lookup(key, now: 2) == nil)
        #expect(memo.statistics.entries == 1)   // unbounded: the stale entry stays
    }

    @Test func boundedDropsStaleExpiredAndOverBudgetEntries() {
        let (memo, _) = Self.memo(.bounded, maxBytes: 10_000, ttlSeconds: 30)
        let body = [UInt8](repeating: 7, count: 1000)
        for i in 0..<100 {
            memo.store(.init(viewer: Int64(i), target: "/api/articles"), body: body, etag: "e", generation: 0, now: UInt64(i))
        }
        var s = memo.statistics
        #expect(s.bytes <= 10_000)
        #expect(s.entries < 10)
        #expect(memo.lookup(.init(viewer: 99, target: "/api/articles"), now: 100)?.body == body)   // newest kept
        #expect(memo.lookup(.init(viewer: 99, target: "/api/articles"), now: 31 * Self.second) == nil)   // expired
        memo.store(.init(viewer: 1, target: "/x"), body: body, etag: "e", generation: 0, now: 40 * Self.second)
        memo.dataChanged()
        #expect(memo.lookup(.init(viewer: 1, target: "/x"), now: 40 * Self.second) == nil)
        s = memo.statistics
        #expect(s.entries <= 9)
        #expect(s.evictions >= 90)
    }

    /// An accelerated run: every simulated second, 50 requests with new (user, URL) pairs and a write. The leak
    /// detector, fed the memo's bytes with a test clock, must call the unbounded memo growing and the bounded
    /// one flat — a detector stuck on either verdict fails one of the two.
    @Test(arguments: [RenderedResponseMemo.Mode.unbounded, .bounded])
    func detectorCallsTheUnboundedMemoGrowingAndTheBoundedOneFlat(mode: RenderedResponseMemo.Mode) {
        let (memo, _) = Self.memo(mode, maxBytes: 256 * 1024, ttlSeconds: 5)
        var detector = LeakDetector()
        let body = [UInt8](repeating: 0x20, count: 2000)
        var request = 0
        for second in 0..<150 {
            let now = UInt64(second) * Self.second
            for _ in 0..<50 {
                request += 1
                let key = RenderedResponseMemo.Key(viewer: Int64(request % 97), target: "/api/articles?offset=\(request)")
                let generation = memo.generation
                if memo.lookup(key, now: now) == nil { memo.store(key, body: body, etag: "e", generation: generation, now: now) }
            }
            memo.dataChanged()
            detector.record(atSeconds: Double(second), bytes: Double(memo.statistics.bytes))
        }
        let verdict = detector.assessment.verdict
        #expect(verdict == (mode == .unbounded ? .growing : .flat), "\(detector.assessment)")
        if mode == .bounded { #expect(memo.statistics.bytes <= 256 * 1024) }
    }

    @Test func statusFileIsParsed() throws {
        let text = "Name:\tdyno\nVmRSS:\t  300000 kB\nRssAnon:\t   51200 kB\nRssFile:\t  248800 kB\nRssShmem:\t       0 kB\n"
        let m = try #require(ProcessMemory.parseStatus(Array(text.utf8)[...]))
        #expect(m.rssAnonBytes == 51200 * 1024)
        #expect(m.rssFileBytes == 248800 * 1024)
        #expect(ProcessMemory.parseStatus(Array("Name:\tx\n".utf8)[...]) == nil)
        let live = try #require(ProcessMemory.read())
        #expect(live.rssAnonBytes > 0)
        #expect(live.heapInUseBytes > 0)
    }
}
