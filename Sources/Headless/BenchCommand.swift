import DemoBackend
import Foundation
import HTTP
import Metrics
import Synchronization

/// `dyno bench`: micro-benchmarks of the critical operations, in ns/op (median of repeated runs) and allocations/op
/// (counted by the executable's own malloc, see CMallocCounter). For humans and for regression tracking against a
/// saved baseline; never asserted as timings in unit tests.
public enum BenchCommand {
    public struct Options: Sendable {
        public var filter: String? = nil
        public var baseline: String? = nil
        public var saveBaseline: String? = nil
        /// A median slower than the baseline by more than this fraction is a regression. Default 25%: this is a
        /// shared 2-core machine, and ns/op moves by 10–20% between sittings; allocations are the stable signal.
        public var timeTolerance: Double = 0.25
        /// Repeated runs per benchmark (the median is reported).
        public var repetitions = 7
        /// Each run lasts at least this long (iterations are doubled until it does).
        public var minimumRunSeconds = 0.02
        public init() {}
    }

    public struct Result: Sendable, Codable, Equatable {
        public var name: String
        public var nsPerOp: Double
        public var minNsPerOp: Double
        /// nil when the malloc counter is not linked (e.g. in the test bundles).
        public var allocsPerOp: Double?
        public var iterations: Int
    }

    public static var all: [Benchmark] { MetricsBenchmarks.all + HTTPBenchmarks.all + DemoBackendBenchmarks.all }

    /// Exit 0, 1 when a benchmark regressed against `--baseline`, 2 on bad input.
    public static func run(_ o: Options) -> Int32 {
        defer { DemoBackendBenchmarks.cleanUp() }
        let chosen = all.filter { o.filter.map($0.name.contains) ?? true }
        guard !chosen.isEmpty else {
            writeError("dyno bench: no benchmark matches --filter \(o.filter ?? ""); known: \(all.map(\.name).joined(separator: ", "))")
            return 2
        }
        var baseline: [String: Result] = [:]
        if let path = o.baseline {
            do { baseline = try load(path) } catch {
                writeError("dyno bench: --baseline \(path): \(error)")
                return 2
            }
        }
        if MallocCounter.available == false {
            writeError("dyno bench: the malloc counter is not linked into this binary: allocations are not counted")
        }
        var results: [Result] = []
        var regressions: [String] = []
        var rows: [[String]] = []
        for benchmark in chosen {
            let result: Result
            do { result = try measure(benchmark, o) } catch {
                writeError("dyno bench: \(benchmark.name): setup failed: \(error)")
                return 2
            }
            results.append(result)
            var verdict = ""
            if let base = baseline[result.name] {
                let problems = regressionsAgainst(base, result, timeTolerance: o.timeTolerance)
                verdict = problems.isEmpty ? "ok vs baseline" : "REGRESSED: " + problems.joined(separator: ", ")
                if !problems.isEmpty { regressions.append(result.name) }
            }
            rows.append([result.name, nanos(result.nsPerOp), nanos(result.minNsPerOp),
                         result.allocsPerOp.map { String(format: "%.2f", $0) } ?? "n/a", verdict])
        }
        print(SummaryTable.table(header: ["benchmark", "ns/op (median)", "min", "allocs/op", ""], rows: rows,
                                 leftAligned: [0, 4]), terminator: "")
        print("\(o.repetitions) runs each, every run ≥ \(Int(o.minimumRunSeconds * 1000)) ms; what each measures: dyno bench --list")
        if let path = o.saveBaseline {
            do {
                try save(results, to: path)
                print("baseline saved: \(path)")
            } catch {
                writeError("dyno bench: --save-baseline \(path): \(error.localizedDescription)")
                return 2
            }
        }
        if !regressions.isEmpty {
            writeError("dyno bench: regressed against the baseline: \(regressions.joined(separator: ", "))")
            return 1
        }
        return 0
    }

    /// The benchmarks with what each measures.
    public static var listing: String {
        SummaryTable.table(header: ["benchmark", "what it measures"], rows: all.map { [$0.name, $0.summary] }, leftAligned: [0, 1])
    }

    static func measure(_ benchmark: Benchmark, _ o: Options) throws -> Result {
        let loop = try benchmark.make()
        // Calibrate: double the iterations until one run takes long enough to time well.
        var iterations = 1
        while true {
            let t = time { loop(iterations) }
            if t >= o.minimumRunSeconds || iterations >= 1 << 30 { break }
            iterations *= 2
        }
        var perOp: [Double] = []
        for _ in 0..<max(1, o.repetitions) {
            perOp.append(time { loop(iterations) } * 1e9 / Double(iterations))
        }
        perOp.sort()
        var allocs: Double? = nil
        if MallocCounter.available {
            let before = MallocCounter.threadCount()
            MallocCounter.counting(true)
            loop(iterations)
            MallocCounter.counting(false)
            allocs = Double(MallocCounter.threadCount() - before) / Double(iterations)
        }
        return Result(name: benchmark.name, nsPerOp: perOp[perOp.count / 2], minNsPerOp: perOp[0], allocsPerOp: allocs,
                      iterations: iterations)
    }

    /// What got worse: time beyond the tolerance, or more allocations (beyond half an allocation per op and 5%).
    static func regressionsAgainst(_ base: Result, _ now: Result, timeTolerance: Double) -> [String] {
        var problems: [String] = []
        if now.nsPerOp > base.nsPerOp * (1 + timeTolerance) {
            problems.append("time \(nanos(base.nsPerOp)) → \(nanos(now.nsPerOp))")
        }
        if let a = now.allocsPerOp, let b = base.allocsPerOp, a > b + max(0.5, b * 0.05) {
            problems.append(String(format: "allocs %.2f → %.2f", b, a))
        }
        return problems
    }

    static func time(_ body: () -> Void) -> Double {
        let start = MonotonicClock.nanoseconds()
        body()
        return Double(MonotonicClock.nanoseconds() - start) / 1e9
    }

    static func nanos(_ ns: Double) -> String {
        ns >= 1_000_000 ? String(format: "%.2f ms", ns / 1e6) : ns >= 1_000 ? String(format: "%.2f µs", ns / 1e3)
                                                                           : String(format: "%.1f ns", ns)
    }

    struct BaselineFile: Codable {
        var schema = "dyno.bench"
        var schemaVersion = 1
        var results: [Result]
    }

    static func save(_ results: [Result], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(BaselineFile(results: results)).write(to: URL(fileURLWithPath: path))
    }

    static func load(_ path: String) throws -> [String: Result] {
        let file = try JSONDecoder().decode(BaselineFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        guard file.schema == "dyno.bench" else { throw BenchError("not a dyno bench baseline (schema \(file.schema))") }
        return Dictionary(file.results.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    struct BenchError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }
}

/// The executable's malloc counter (CMallocCounter). Only the `dyno` executable links it, and hands its functions
/// over at start-up with `install`; elsewhere (the test bundles) allocations are not counted.
public enum MallocCounter {
    public typealias Toggle = @convention(c) (Int32) -> Void
    public typealias Count = @convention(c) () -> UInt64
    private static let hooks = Mutex<(toggle: Toggle, count: Count)?>(nil)

    public static func install(toggle: Toggle, threadCount: Count) { hooks.withLock { $0 = (toggle, threadCount) } }

    static var available: Bool { hooks.withLock { $0 != nil } }
    static func counting(_ on: Bool) { hooks.withLock { $0 }?.toggle(on ? 1 : 0) }
    /// Allocations made by the calling thread while counting was on.
    static func threadCount() -> UInt64 { hooks.withLock { $0 }?.count() ?? 0 }
}
