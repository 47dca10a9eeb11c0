@testable import Console
import Knobs
import Metrics
import Testing

/// Issue 14 items 7 and 8 on the in-memory canvas: the header tells a saturated server from a generator at its
/// limit, and the Pool panel shows the serving threads' unread queue.
@Suite("Console: bottleneck header and serving queue")
struct BottleneckConsoleTests {
    func frame(_ health: GeneratorHealth?, serving: ServingProbe? = nil) -> MemoryCanvas {
        var snapshots = Fixtures.snapshots(30)
        if let health { snapshots[snapshots.count - 1].load.generator = health }
        if let serving { snapshots[snapshots.count - 1].backend?.serving = serving }
        var model = ConsoleModel(title: "embedded demo · profile default")
        for s in snapshots { model.ingest(s) }
        let canvas = MemoryCanvas(width: 160, height: 48, glyphs: .unicode)
        ConsoleRenderer.draw(model, knobs: Fixtures.registry(), on: canvas)
        return canvas
    }

    static func saturated() -> GeneratorHealth {
        var h = GeneratorHealth()
        h.behindSchedule = true; h.lagSeconds = 12.8
        h.allConnectionsWaiting = true; h.connectionsWaiting = 64; h.connections = 64; h.queuedArrivals = 812
        return h
    }

    @Test func aSaturatedServerIsNamedInTheHeaderNotTheGenerator() {
        let text = frame(Self.saturated()).text
        #expect(text.contains("⚠ server saturated: 64/64 connections waiting, 812 requests queued"))
        #expect(!text.contains("generator is the bottleneck"))
    }

    @Test func theGeneratorIsBlamedOnlyForItsOwnCPUOrDescriptors() {
        var h = Self.saturated()
        h.limitedBy = "cpu"
        let text = frame(h).text
        #expect(text.contains("⚠ generator is the bottleneck: limited by cpu"))
        #expect(!text.contains("server saturated"))
    }

    @Test func onScheduleTheHeaderWarnsOfNothing() {
        let text = frame(GeneratorHealth()).text
        #expect(!text.contains("server saturated") && !text.contains("bottleneck"))
    }

    @Test func thePoolPanelShowsTheServingThreadsUnreadQueue() {
        var s = ServingProbe()
        s.model = .blocking; s.busyRatio = 1; s.workerThreads = 2
        s.connectionsWaiting = 62; s.acceptQueue = 3
        let text = frame(nil, serving: s).text
        #expect(text.contains("unread conns 62"))
        #expect(text.contains("backlog 3"))
        s.connectionsWaiting = nil; s.acceptQueue = nil
        #expect(frame(nil, serving: s).text.contains("unread requests: no data"))
    }
}
