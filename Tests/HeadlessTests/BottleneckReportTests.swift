import Foundation
import Metrics
import Testing
@testable import Engine
@testable import Headless

/// Issue 14 item 8 in `dyno run`'s outputs: the progress line, the summary table and report.json's `generator`
/// section tell a saturated server from a generator at its own limit.
@Suite("Reports: server saturation vs generator bottleneck")
struct BottleneckReportTests {
    static func saturated() -> GeneratorHealth {
        var h = GeneratorHealth()
        h.behindSchedule = true; h.lagSeconds = 12.8
        h.allConnectionsWaiting = true; h.connectionsWaiting = 64; h.connections = 64; h.queuedArrivals = 812
        return h
    }

    static func result(_ health: GeneratorHealth) -> RunResult {
        var r = ReportFixture.result([.init(name: "GET /api/tags", latenciesMicros: ReportFixture.ramp(50, from: 900, step: 10))])
        r.final.load.generator = health
        return r
    }

    @Test func theProgressLineNamesTheSaturatedServer() {
        var s = Snapshot()
        s.load.generator = Self.saturated()
        #expect(ProgressLine.line(s, total: 30).hasSuffix("[server saturated: 64/64 waiting, 812 queued]"))
        s.load.generator.limitedBy = "file descriptors"
        #expect(ProgressLine.line(s, total: 30).hasSuffix("[generator bottleneck: file descriptors]"))
        s.load.generator = GeneratorHealth()
        #expect(!ProgressLine.line(s, total: 30).contains("["))
    }

    @Test func reportJSONCarriesServerSaturationAndNoGeneratorLimit() throws {
        let report = ReportJSON.report(Self.result(Self.saturated()))
        #expect(report.generator.limitedBy == nil)
        #expect(report.generator.serverSaturated == Report.ServerSaturation(connectionsWaiting: 64, connections: 64, queued: 812))
        let json = String(decoding: try JSONEncoder().encode(report.generator), as: UTF8.self)
        #expect(json.contains("\"serverSaturated\""))
        let markdown = MarkdownReport.render(RunReportContent.document(report))
        #expect(markdown.contains("server saturated: 64/64 connections waiting, 812 requests queued"))
        #expect(!markdown.contains("generator is the bottleneck"))
        let table = SummaryTable.render(Self.result(Self.saturated()))
        #expect(table.contains("warning: server saturated: 64/64 connections waiting, 812 requests queued"))
    }

    @Test func aGeneratorAtItsOwnLimitIsReportedAsTheBottleneckWithoutServerSaturation() throws {
        var h = Self.saturated()
        h.limitedBy = "cpu"
        let report = ReportJSON.report(Self.result(h))
        #expect(report.generator.limitedBy == "cpu")
        #expect(report.generator.serverSaturated == nil)
        let json = String(decoding: try JSONEncoder().encode(report.generator), as: UTF8.self)
        #expect(!json.contains("serverSaturated"))
        #expect(SummaryTable.render(Self.result(h)).contains("warning: generator is the bottleneck: limited by cpu"))
    }
}
