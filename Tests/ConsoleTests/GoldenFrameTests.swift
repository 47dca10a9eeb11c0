import Foundation
import Testing
@testable import Console
import Knobs

/// Golden text frames: the whole screen for a fixed run, compared cell for cell. To accept an intended change,
/// run with DYNO_RECORD_GOLDEN=1 and review the diff of Tests/ConsoleTests/Golden.
@Suite("Frames on the in-memory canvas")
struct GoldenFrameTests {
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func frame(_ model: ConsoleModel, knobs: KnobRegistry?, width: Int, height: Int, glyphs: Glyphs = .unicode) -> MemoryCanvas {
        let canvas = MemoryCanvas(width: width, height: height, glyphs: glyphs)
        ConsoleRenderer.draw(model, knobs: knobs, on: canvas)
        return canvas
    }

    func expectGolden(_ text: String, _ name: String) throws {
        let url = Self.goldenDirectory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["DYNO_RECORD_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.goldenDirectory, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        if golden != text {
            let a = golden.split(separator: "\n", omittingEmptySubsequences: false)
            let b = text.split(separator: "\n", omittingEmptySubsequences: false)
            let firstDiff = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
            Issue.record("""
                frame differs from \(name) at line \(firstDiff.map { $0.offset + 1 } ?? min(a.count, b.count)):
                golden: \(firstDiff.map { String($0.element.0) } ?? "")
                actual: \(firstDiff.map { String($0.element.1) } ?? "")
                (re-record with DYNO_RECORD_GOLDEN=1 if intended)
                \(text)
                """)
        }
    }

    /// 15 s of the fixture run with the cache knob switched on by key.
    func fixedModel() -> (ConsoleModel, KnobRegistry) {
        let knobs = Fixtures.registry()
        _ = try? knobs.set(["cache": "on"], source: "key")
        return (Fixtures.model(ticks: 150), knobs)
    }

    @Test func frameAt80x24() throws {
        let (model, knobs) = fixedModel()
        try expectGolden(frame(model, knobs: knobs, width: 80, height: 24).text, "frame-80x24.txt")
    }

    @Test func frameAt160x48() throws {
        let (model, knobs) = fixedModel()
        try expectGolden(frame(model, knobs: knobs, width: 160, height: 48).text, "frame-160x48.txt")
    }

    @Test func frameWithMarkAt80x24() throws {
        var (model, knobs) = fixedModel()
        _ = model.handle(.character("m"), knobs: knobs)
        for s in Fixtures.snapshots(50, latencyScale: 2, firstTick: 150) { model.ingest(s) }
        try expectGolden(frame(model, knobs: knobs, width: 80, height: 24).text, "frame-80x24-mark.txt")
    }

    /// The fixture run with the backend's per-route probes and an index build, Routes switched to the server view.
    func serverModel() -> (ConsoleModel, KnobRegistry) {
        let knobs = Fixtures.registry()
        _ = try? knobs.set(["cache": "on"], source: "key")
        var model = Fixtures.model(ticks: 150, serverRoutes: true)
        _ = model.handle(.character("v"), knobs: knobs)
        return (model, knobs)
    }

    @Test func serverViewAt80x24() throws {
        let (model, knobs) = serverModel()
        try expectGolden(frame(model, knobs: knobs, width: 80, height: 24).text, "frame-80x24-server.txt")
    }

    @Test func serverViewZoomedAt80x24() throws {
        var (model, knobs) = serverModel()
        for _ in 0..<2 { _ = model.handle(.tab, knobs: knobs) }   // latency → over time → routes
        _ = model.handle(.character("z"), knobs: knobs)
        #expect(model.focus == .routes)
        try expectGolden(frame(model, knobs: knobs, width: 80, height: 24).text, "frame-80x24-server-zoom.txt")
    }

    @Test func serverViewAt160x48() throws {
        let (model, knobs) = serverModel()
        let text = frame(model, knobs: knobs, width: 160, height: 48).text
        try expectGolden(text, "frame-160x48-server.txt")
        #expect(text.contains("Routes · server view · last 1s"))
        #expect(text.contains("all routes"))
        #expect(text.contains("GET /articles/:slug"))
        #expect(text.contains("v client view"))
    }

    @Test func serverViewZoomedAt160x48ShowsEveryStageColumn() {
        var (model, knobs) = serverModel()
        for _ in 0..<2 { _ = model.handle(.tab, knobs: knobs) }
        _ = model.handle(.character("z"), knobs: knobs)
        let text = frame(model, knobs: knobs, width: 160, height: 48).text
        for label in ["queue", "pool", "cache", "db", "enc", "other", "qry/req", "db/req", "t/req"] {
            #expect(text.contains(label), "missing \(label)")
        }
        // articles: 21 queries, 880µs of SQL, 1.40ms in the backend per request; other = 1400 − 1205 = 195µs.
        let articles = text.split(separator: "\n").first { $0.contains("GET /articles ") }.map(String.init) ?? ""
        for cell in ["500", "21", "880µs", "1.40ms", "30.0µs", "120µs", "5.00µs", "900µs", "150µs", "195µs"] {
            #expect(articles.contains(cell), "missing \(cell) in \(articles)")
        }
        #expect(text.contains("background SQL 40 queries/s"))
    }

    @Test func indexBuildProgressIsInTheHeaderWhileBuilding() {
        let (model, knobs) = serverModel()
        let header = frame(model, knobs: knobs, width: 160, height: 48).text.split(separator: "\n")[0]
        #expect(header.contains("indexes: building 45% █████░░░░░"))
        let idle = frame(Fixtures.model(ticks: 150), knobs: knobs, width: 160, height: 48).text
        #expect(!idle.contains("indexes:"))
    }

    @Test func serverViewInASCIIDrawsOnlyASCII() {
        var (model, knobs) = serverModel()
        for _ in 0..<2 { _ = model.handle(.tab, knobs: knobs) }
        _ = model.handle(.character("z"), knobs: knobs)
        let text = frame(model, knobs: knobs, width: 160, height: 48, glyphs: .ascii).text
        #expect(!text.unicodeScalars.contains { !$0.isASCII })
        #expect(text.contains("indexes: building 45% #####....."))
        #expect(text.contains("880us"))
    }

    @Test func serverViewOfAnExternalTargetSaysNoData() {
        var model = Fixtures.model(ticks: 30, backend: false)
        _ = model.handle(.character("v"), knobs: nil)
        let text = frame(model, knobs: nil, width: 160, height: 48).text
        #expect(text.components(separatedBy: "no data").count - 1 == 6)   // the 5 backend panels and Routes
        #expect(text.contains("Routes · server view"))
    }

    @Test func everyPanelTitleAndKnobIsOnScreen() {
        let (model, knobs) = fixedModel()
        let text = frame(model, knobs: knobs, width: 160, height: 48).text
        for title in ["Latency · last 10s", "Throughput & latency over time", "Routes · last 1s", "Status", "Cache", "Pool",
                      "Breaker", "Jobs", "Memory"] {
            #expect(text.contains(title), "missing \(title)")
        }
        for knob in ["[c]cache=on", "[p]pool=4", "[b]serving=blocking", "[e]encoding=foundation"] {
            #expect(text.contains(knob), "missing \(knob)")
        }
        #expect(text.contains("preset custom"))
        #expect(text.contains("p50") && text.contains("p99.9") && text.contains("max"))
        #expect(text.contains("corr.") && text.contains("svc"))
        #expect(text.contains("GET /api/tags"))
        #expect(text.contains("● open") && text.contains("● closed"))
        #expect(text.contains("timeout"))
        #expect(text.contains("0:03 cache=on"))   // the knob-change marker's label
    }

    @Test func smallScreenShowsTheFocusedBackendPanelAsATab() {
        var (model, knobs) = fixedModel()
        for _ in 0..<5 { _ = model.handle(.tab, knobs: knobs) }   // → pool
        let text = frame(model, knobs: knobs, width: 80, height: 24).text
        #expect(text.contains(" Pool "))
        #expect(text.contains("in use"))
    }

    @Test func withoutProbesBackendPanelsSayNoData() {
        let model = Fixtures.model(ticks: 30, backend: false)
        let text = frame(model, knobs: nil, width: 160, height: 48).text
        #expect(text.components(separatedBy: "no data").count - 1 == 5)
        #expect(text.contains("(external target: no probes)"))
        #expect(text.contains("knobs: none (external target)"))
    }

    @Test func tooSmallTerminalSaysSoInsteadOfGarbling() {
        let (model, knobs) = fixedModel()
        let text = frame(model, knobs: knobs, width: 60, height: 20).text
        #expect(text.contains("terminal too small"))
        #expect(text.contains("(need 80×24, have 60×20)"))
        #expect(!text.contains("Latency"))
    }

    @Test func asciiFallbackDrawsOnlyAscii() {
        let (model, knobs) = fixedModel()
        let text = frame(model, knobs: knobs, width: 160, height: 48, glyphs: .ascii).text
        let nonASCII = Set(text.unicodeScalars.filter { !$0.isASCII }.map { String($0) })
        #expect(nonASCII.isEmpty, "non-ASCII: \(nonASCII)")
        #expect(text.contains("+---"))
    }

    @Test func helpOverlayListsEveryKeyAndKnob() {
        var (model, knobs) = fixedModel()
        _ = model.handle(.character("?"), knobs: knobs)
        let text = frame(model, knobs: knobs, width: 160, height: 48).text
        for (keys, _) in ConsoleKeys.help { #expect(text.contains(keys), "missing \(keys)") }
        #expect(text.contains("cache = on [off|on]"))
        #expect(text.contains("pool = 4 [1..64]"))
    }

    @Test func svgScreenshotIsAStandaloneDocument() throws {
        let (model, knobs) = fixedModel()
        let svg = ConsoleScreenshot.render(model, knobs: knobs, width: 80, height: 24, format: .svg)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"384\""))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("Latency"))
        #expect(!svg.contains("<text x=\"0\" y=\"12\" textLength=\"8\" lengthAdjust=\"spacingAndGlyphs\" fill=\"#d0d0d0\"> </text>"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dyno-console-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("frame.txt").path
        try ConsoleScreenshot.write(model, knobs: knobs, to: path, width: 80, height: 24)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("Routes"))
        #expect(throws: ScreenshotError.self) { try ConsoleScreenshot.write(model, knobs: knobs, to: dir.appendingPathComponent("x.png").path) }
    }
}
