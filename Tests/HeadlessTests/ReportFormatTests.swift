import Foundation
import Metrics
import Testing
@testable import Engine
@testable import Headless

/// report.json round trip and errors; summary.md, junit.xml, the SVG charts and report.html for a known report.
@Suite struct ReportFormatTests {
    @Test func reportRoundTripsThroughItsJSON() throws {
        let report = ReportFixture.known()
        let data = try report.jsonData()
        let back = try Report.decode(data, file: "known.json")
        #expect(back == report)
        #expect(try back.jsonData() == data)   // stable bytes
        #expect(back.schemaVersion == 2)
        // The histograms rebuild the very same figures.
        let h = try #require(back.totals.latencyHistogram).histogram
        #expect(ReportJSON.summary(h.summary) == back.totals.latency)
        #expect(h.count == 300)
    }

    @Test func aBadReportNamesTheFileAndTheField() throws {
        var doc = try #require(try JSONSerialization.jsonObject(with: ReportFixture.known().jsonData()) as? [String: Any])
        var totals = try #require(doc["totals"] as? [String: Any])
        totals["completed"] = "many"
        doc["totals"] = totals
        let error = #expect(throws: ReportFileError.self) {
            try Report.decode(JSONSerialization.data(withJSONObject: doc), file: "b.json")
        }
        #expect(error?.file == "b.json")
        #expect(error?.field == "totals.completed")

        var routes = try #require(doc["routes"] as? [[String: Any]])
        routes[1].removeValue(forKey: "latency")
        doc["routes"] = routes
        totals["completed"] = 300
        doc["totals"] = totals
        let missing = #expect(throws: ReportFileError.self) {
            try Report.decode(JSONSerialization.data(withJSONObject: doc), file: "b.json")
        }
        #expect(missing?.field == "routes[1].latency")
        #expect(missing?.message == "missing")

        let foreign = #expect(throws: ReportFileError.self) { try Report.decode(Data(#"{"a": 1}"#.utf8), file: "x.json") }
        #expect(foreign?.field == "schema")
    }

    @Test func aCorruptHistogramIsRefused() throws {
        let text = String(decoding: try ReportFixture.known().jsonData(), as: UTF8.self)
        let bad = text.replacingOccurrences(of: "\"buckets\" : \"", with: "\"buckets\" : \"1001:1 ", options: [], range: nil)
        let error = #expect(throws: ReportFileError.self) { try Report.decode(Data(bad.utf8), file: "h.json") }
        #expect(error?.field.hasSuffix("Histogram.buckets") == true || error?.field.hasSuffix("Histogram.count") == true)
    }

    @Test func junitHasACaseForEachThresholdAndAFailureWithMeasuredAndRequired() throws {
        let report = ReportFixture.known()
        let xml = JUnitReport.render(RunReportContent.document(report))
        let parsed = try XMLTree.parse(xml)
        let cases = parsed.all("testcase")
        #expect(cases.map { $0.attributes["name"] } == ["p99", "errorRate"])
        #expect(parsed.all("testsuites").first?.attributes["failures"] == "1")
        let failure = try #require(cases[0].children.first { $0.name == "failure" })
        let p99 = report.thresholds[0]
        #expect(!p99.passed)
        #expect(failure.attributes["message"] == "p99: measured \(p99.actual), required ≤ 10.0 ms")
        #expect(failure.text.contains("measured: \(p99.actual)") && failure.text.contains("required: ≤ 10.0 ms"))
        #expect(!cases[1].children.contains { $0.name == "failure" })
    }

    @Test func markdownSummaryHasTheVerdictTheChecksAndTheRoutes() {
        let md = MarkdownReport.render(RunReportContent.document(ReportFixture.known()))
        #expect(md.hasPrefix("## fixture · http://127.0.0.1:9/\n"))
        #expect(md.contains("**FAILED**: 1 of 2 checks passed, 1 failed"))
        #expect(md.contains("| ❌ FAIL | p99 |"))
        #expect(md.contains("| ✅ pass | errorRate | 1.00% | ≤ 50.0% |"))
        #expect(md.contains("| route | count | rate/s | p50 | p95 | p99 | max | service p99 | errors |"))
        #expect(md.contains("| GET /b | 100 | 10.0 |"))
        #expect(md.contains("| 3.0 s | knob | cache=off | profile |"))
        #expect(md.contains("[Latency over time](latency.svg)"))
    }

    @Test func chartsAreWellFormedSVGWithTheirSeriesAndMarkers() throws {
        let charts = RunReportContent.document(ReportFixture.known(), faultKnobs: ["dependency"]).charts
        #expect(charts.map(\.fileName) == ["latency.svg", "rate.svg", "histogram.svg"])
        let latency = try XMLTree.parse(charts[0].svg)
        #expect(latency.name == "svg")
        #expect(latency.all("g").compactMap { $0.attributes["data-series"] } == ["p50", "p99", "service p99"])
        let markers = latency.all("g").filter { $0.attributes["class"] == "marker" }
        #expect(markers.map { $0.attributes["data-kind"] } == ["knob", "fault"])
        // One point per second in each line.
        let p99 = try #require(latency.all("g").first { $0.attributes["data-series"] == "p99" })
        #expect(p99.all("polyline").first?.attributes["points"]?.split(separator: " ").count == 10)
        let rate = try XMLTree.parse(charts[1].svg)
        #expect(rate.all("g").compactMap { $0.attributes["data-series"] } == ["achieved", "offered", "errors"])
        let histogram = try XMLTree.parse(charts[2].svg)
        let bars = try #require(histogram.all("g").first { $0.attributes["data-series"] == "corrected" })
        #expect(!bars.all("rect").isEmpty)
    }

    @Test func aChartWithoutDataSaysSo() throws {
        var r = ReportFixture.known()
        r.timeSeries = []
        r.totals.latencyHistogram = nil
        let charts = RunReportContent.document(r).charts
        #expect(try XMLTree.parse(charts[0].svg).all("text").contains { $0.text == "no measured seconds in this report" })
        #expect(try XMLTree.parse(charts[2].svg).all("text").contains { $0.text.hasPrefix("no latency histogram") })
    }

    @Test func htmlIsOnePageEmbeddingEveryChart() throws {
        let d = RunReportContent.document(ReportFixture.known())
        let html = HTMLReport.render(d)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg ").count - 1 == d.charts.count)
        for chart in d.charts { #expect(html.contains(chart.svg)) }
        #expect(!html.contains("<script") && !html.contains("href=\"http") && !html.contains("src="))
        #expect(html.contains("<td class=\"fail\">FAIL</td><td>p99</td>"))
    }

    @Test func theReportDirectoryHoldsEveryFormat() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dyno-report-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = ReportFixture.known()
        let written = try ReportDirectory.write(RunReportContent.document(report), json: report.jsonData(), to: dir)
        #expect(written.map { ($0 as NSString).lastPathComponent }
                == ["report.json", "summary.md", "junit.xml", "latency.svg", "rate.svg", "histogram.svg", "report.html"])
        #expect(try Report.read(path: dir + "/report.json") == report)
    }
}

