import DemoBackend
import Foundation
import Metrics
import Testing
import TestSupport
@testable import Headless

/// `dyno bench`'s bookkeeping (no timings are asserted: speed belongs to the benchmarks, not to tests).
@Suite struct BenchCommandTests {
    @Test func everyBenchmarkRunsAndReportsPositiveTimes() throws {
        var o = BenchCommand.Options()
        o.repetitions = 1
        o.minimumRunSeconds = 0.0001
        defer { DemoBackendBenchmarks.cleanUp() }
        for benchmark in BenchCommand.all {
            let result = try BenchCommand.measure(benchmark, o)
            #expect(result.nsPerOp > 0, "\(benchmark.name)")
            #expect(result.iterations >= 1)
            #expect(result.allocsPerOp == nil)   // the test bundle does not link the executable's malloc counter
        }
        #expect(Set(BenchCommand.all.map(\.name)).count == BenchCommand.all.count)
    }

    @Test func regressionsAreSlowerBeyondTheToleranceOrMoreAllocations() {
        let base = BenchCommand.Result(name: "x", nsPerOp: 100, minNsPerOp: 90, allocsPerOp: 2, iterations: 1)
        var now = base
        now.nsPerOp = 120
        #expect(BenchCommand.regressionsAgainst(base, now, timeTolerance: 0.25).isEmpty)
        now.nsPerOp = 130
        #expect(BenchCommand.regressionsAgainst(base, now, timeTolerance: 0.25).count == 1)
        now.nsPerOp = 100
        now.allocsPerOp = 3
        #expect(BenchCommand.regressionsAgainst(base, now, timeTolerance: 0.25).first?.hasPrefix("allocs") == true)
    }

    @Test func baselineRoundTripsAndAForeignFileIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let results = [BenchCommand.Result(name: "a", nsPerOp: 1.5, minNsPerOp: 1, allocsPerOp: nil, iterations: 8)]
        try BenchCommand.save(results, to: dir.file("b.json"))
        #expect(try BenchCommand.load(dir.file("b.json")) == ["a": results[0]])
        try Data(#"{"schema":"other","schemaVersion":1,"results":[]}"#.utf8).write(to: URL(fileURLWithPath: dir.file("o.json")))
        #expect(throws: (any Error).self) { try BenchCommand.load(dir.file("o.json")) }
    }
}

