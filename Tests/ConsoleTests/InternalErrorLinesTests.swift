import Testing
@testable import Console
import Metrics

/// The Status panel shows the backend's internal-error lines that arrive in the snapshot (never from the backend).
struct InternalErrorLinesTests {
    func model(errors: InternalErrorsProbe?) -> ConsoleModel {
        var m = ConsoleModel(title: "embedded demo · profile default")
        for var s in Fixtures.snapshots(150) {
            if let errors { s.backend?.internalErrors = errors }
            m.ingest(s)
        }
        return m
    }

    func screen(_ m: ConsoleModel) -> String {
        let canvas = MemoryCanvas(width: 160, height: 48)
        ConsoleRenderer.draw(m, knobs: Fixtures.registry(), on: canvas)
        return canvas.text
    }

    @Test func statusPanelShowsTheNewestInternalErrorLinesWithTheirIds() {
        var probe = InternalErrorsProbe()
        probe.total = 3
        probe.recent = [
            InternalErrorLine(sequence: 2, text: "2026-12-05T10:31:01Z internal error id=0a1b2c3d4e5f route=GET /api/tags: SQLite error 1: no such table: tags"),
            InternalErrorLine(sequence: 3, text: "2026-12-05T10:31:02Z server error: HTTP server: epoll_wait failed"),
        ]
        let text = screen(model(errors: probe))
        #expect(text.contains("internal errors 3"))
        #expect(text.contains("10:31:01Z internal error id=0a1b2c3d4e5f route=GET /api/tags"))
        #expect(text.contains("10:31:02Z server error: HTTP server: epoll_wait failed"))
        #expect(!text.contains("2026-12-05T"))
    }

    @Test func noInternalErrorsNoLines() {
        #expect(!screen(model(errors: nil)).contains("internal errors"))
    }

    @Test func rowsGrowWithTheLinesButLeaveTheStatusCounts() {
        var probe = InternalErrorsProbe()
        #expect(InternalErrorLines.rows(probe, height: 10) == 0)
        probe.total = 40
        probe.recent = (9...40).map { InternalErrorLine(sequence: UInt64($0), text: "line \($0)") }
        #expect(InternalErrorLines.rows(probe, height: 10) == 5)
        #expect(InternalErrorLines.rows(probe, height: 3) == 0)
        probe.recent = [InternalErrorLine(sequence: 40, text: "line 40")]
        #expect(InternalErrorLines.rows(probe, height: 10) == 2)
    }
}
