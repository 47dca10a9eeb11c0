import Foundation
import Metrics
import Testing
import TestSupport
@testable import Engine

/// errors.log: each internal-error line of the run once, in order, and a note when lines went by uncaptured.
struct InternalErrorCollectorTests {
    func snapshot(total: UInt64, recent: ClosedRange<UInt64>?) -> Snapshot {
        var backend = BackendSnapshot()
        backend.internalErrors.total = total
        backend.internalErrors.recent = recent.map { $0.map { InternalErrorLine(sequence: $0, text: "line \($0)") } } ?? []
        var s = Snapshot()
        s.backend = backend
        return s
    }

    @Test func eachLineOnceInOrderAndMissedLinesAreCounted() throws {
        let collector = InternalErrorCollector()
        collector.ingest(snapshot(total: 0, recent: nil))
        #expect(collector.logText == nil)
        collector.ingest(snapshot(total: 2, recent: 1...2))
        collector.ingest(snapshot(total: 3, recent: 1...3))    // the probe repeats lines already taken
        collector.ingest(snapshot(total: 3, recent: 1...3))
        collector.ingest(snapshot(total: 40, recent: 9...40))  // 4...8 fell out of the probe between two ticks
        #expect(collector.count == 40)
        let lines = try #require(collector.logText).split(separator: "\n").map(String.init)
        #expect(lines.prefix(4) == ["line 1", "line 2", "line 3",
                                    "(5 internal error lines happened between two ticks and were not captured)"])
        #expect(lines.dropFirst(4) == ArraySlice((9...40).map { "line \($0)" }))
    }

    @Test func writesErrorsLogOnlyWhenThereWereErrors() throws {
        let directory = try TemporaryDirectory(prefix: "dyno-errors-log")
        defer { directory.remove() }
        let collector = InternalErrorCollector()
        #expect(try collector.write(into: directory.path) == nil)
        #expect(!FileManager.default.fileExists(atPath: directory.file("errors.log")))
        collector.ingest(snapshot(total: 1, recent: 1...1))
        let path = try #require(try collector.write(into: directory.path))
        #expect(path == directory.file("errors.log"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "line 1\n")
    }
}
