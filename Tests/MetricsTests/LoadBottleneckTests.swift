import Metrics
import Testing

/// Issue 14 item 8: the generator is blamed only when its own CPU or descriptors limit it; when every connection
/// waits on the server, the server is saturated. Pure logic: figures in, verdict and words out.
@Suite struct LoadBottleneckTests {
    static func health(behind: Bool = true, lag: Double = 12.8, limitedBy: String? = nil, allWaiting: Bool = false,
                       waiting: Int = 64, connections: Int = 64, queued: Int = 812) -> GeneratorHealth {
        var h = GeneratorHealth()
        h.behindSchedule = behind
        h.lagSeconds = lag
        h.limitedBy = limitedBy
        h.allConnectionsWaiting = allWaiting
        h.connectionsWaiting = waiting
        h.connections = connections
        h.queuedArrivals = queued
        return h
    }
    static func seconds(_ s: Double) -> String { "\(s)s" }

    @Test func everyConnectionWaitingOnTheServerIsServerSaturationNotTheGenerator() {
        let b = Self.health(allWaiting: true).bottleneck
        #expect(b == .serverSaturated(waiting: 64, connections: 64, queued: 812, lagSeconds: 12.8))
        #expect(b.message(duration: Self.seconds)
                == "server saturated: 64/64 connections waiting, 812 requests queued (their wait counts in corrected latency)")
        #expect(b.tag == "[server saturated: 64/64 waiting, 812 queued]")
    }

    @Test(arguments: ["cpu", "file descriptors"])
    func theGeneratorsOwnLimitsMakeItTheBottleneckEvenWithConnectionsBusy(limit: String) {
        let b = Self.health(limitedBy: limit, allWaiting: true).bottleneck
        #expect(b == .generator(limitedBy: limit, lagSeconds: 12.8))
        #expect(b.message(duration: Self.seconds) == "generator is the bottleneck: limited by \(limit), behind schedule by 12.8s")
        #expect(b.tag == "[generator bottleneck: \(limit)]")
    }

    @Test func behindWithoutAnyLimitIsNeitherBlamed() {
        let b = Self.health(allWaiting: false).bottleneck
        #expect(b == .behindSchedule(lagSeconds: 12.8))
        #expect(b.message(duration: Self.seconds)?.hasPrefix("generator behind schedule by 12.8s") == true)
        #expect(b.tag == "[generator behind]")
    }

    @Test func onScheduleSaysNothingEvenIfConnectionsWereBrieflyBusy() {
        let b = Self.health(behind: false, lag: 0.002, allWaiting: true).bottleneck
        #expect(b == .none)
        #expect(b.message(duration: Self.seconds) == nil)
        #expect(b.tag == nil)
    }

    @Test func aLimitOtherThanTheGeneratorsOwnDoesNotBlameIt() {
        // Reports written before issue 14 said "connections": that was the server, not the generator.
        let b = Self.health(limitedBy: "connections", allWaiting: true).bottleneck
        if case .serverSaturated = b {} else { Issue.record("expected server saturation, got \(b)") }
    }
}
