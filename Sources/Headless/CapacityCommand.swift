import Engine
import Foundation
import Metrics

/// `dyno capacity [PROFILE] [--slo p99=50ms,errors=0.1%]`: the highest arrival rate that meets the service level,
/// with the curve, the knee and (embedded backend) a pool size from Little's law.
public enum CapacityCommand {
    public struct Options: Sendable {
        public var run: Commands.RunOptions
        public var level = ServiceLevel()
        public var startRate: Double = 50
        public var maxRate: Double = 100_000
        /// Seconds measured per step (after `settleSeconds` that are not measured).
        public var stepSeconds: Double = 10
        public var settleSeconds: Double = 2
        public init(run: Commands.RunOptions) { self.run = run }
    }

    /// Exit 0 when some rate met the service level, 1 when none did, 2 on bad input.
    public static func run(_ o: Options) -> Int32 {
        var profile: Profile
        do { profile = try Commands.resolveProfile(o.run, headless: false) } catch {
            writeError("dyno capacity: \(error)")
            return 2
        }
        // One open-model session for the whole search: the search sets the rate of each step.
        let connections: Int
        switch profile.load {
        case .open(_, let c): connections = c
        case .closed(let users, _): connections = max(64, users)
        }
        profile.load = .open(stages: [.constant(rate: o.startRate, durationSeconds: 0)], connections: connections)
        profile.durationSeconds = nil
        profile.warmupSeconds = 0
        profile.knobSchedule = []
        let built: BuiltRun
        do {
            built = try RunBuilder.build(profile: profile, progress: { if !o.run.quiet { writeError($0) } })
        } catch {
            writeError("dyno capacity: \(error)")
            return 2
        }
        defer { built.shutdown() }
        let session = built.session
        let internalErrors = InternalErrorCollector()
        session.observeSnapshots { internalErrors.ingest($0) }
        do { try session.start() } catch {
            writeError("dyno capacity: \(error)")
            return 2
        }
        var search = CapacitySearch(startRate: o.startRate, maxRate: o.maxRate)
        if !o.run.quiet {
            writeError("dyno capacity: \(profile.name) against \(session.targetDescription); service level \(o.level.description); " +
                       "\(Int(o.settleSeconds))s settle + \(Int(o.stepSeconds))s measured per step")
        }
        CapacityRunner.run(session: session, search: &search, level: o.level, settleSeconds: o.settleSeconds,
                           measureSeconds: o.stepSeconds) { step in
            if !o.run.quiet { writeError("  " + line(step)) }
        }
        session.requestStop()
        print(render(search, level: o.level), terminator: "")
        let directory = o.run.reportDirectory ?? Commands.defaultReportDirectory("capacity-" + profile.name)
        do {
            let json = try document(search, level: o.level, profile: profile, target: session.targetDescription)
            try ReportDirectory.write(CapacityReport.document(search, level: o.level, profile: profile.name,
                                                              target: session.targetDescription),
                                      json: json, jsonName: "capacity.json", to: directory)
            print("report: \((directory as NSString).appendingPathComponent("capacity.json")) (and summary.md, junit.xml, capacity.svg, report.html)")
            if let log = try internalErrors.write(into: directory) {
                print("errors: the backend logged \(internalErrors.count) internal error(s): \(log)")
            }
        } catch {
            writeError("dyno capacity: cannot write the report into \(directory): \(error.localizedDescription)")
            return 2
        }
        return search.knee == nil ? 1 : 0
    }

    static func line(_ s: CapacityStep) -> String {
        "\(threeDigitsRate(s.offeredRate)) offered → \(threeDigitsRate(s.achievedRate)) achieved, p99 " +
            formatLatency(nanoseconds: s.p99Nanoseconds) + ", errors " + String(format: "%.2f%%", s.errorRate * 100) +
            (s.miss.map { " — misses: " + $0 } ?? " — meets")
    }

    static func threeDigitsRate(_ r: Double) -> String { String(format: r >= 100 ? "%.0f/s" : "%.1f/s", r) }

    /// The curve as a table, the knee and the pool advice.
    public static func render(_ search: CapacitySearch, level: ServiceLevel) -> String {
        let rows = search.curve.map { s in
            [threeDigitsRate(s.offeredRate), threeDigitsRate(s.achievedRate), formatLatency(nanoseconds: s.p50Nanoseconds),
             formatLatency(nanoseconds: s.p99Nanoseconds), String(format: "%.2f%%", s.errorRate * 100),
             s.dbSecondsPerRequest.map { formatLatency(nanoseconds: UInt64($0 * 1e9)) } ?? "-", s.miss ?? "meets"]
        }
        var out = SummaryTable.table(header: ["offered", "achieved", "p50", "p99", "errors", "DB/request", "verdict"],
                                     rows: rows, leftAligned: [6])
        out += "\nService level: \(level.description)\n"
        if let knee = search.knee {
            out += "Capacity: \(threeDigitsRate(knee.offeredRate))" +
                (search.reachedMaxRate ? " or more (the search stopped at --max-rate)" : " (highest rate measured that meets it)") + "\n"
            if let advice = PoolSizeAdvice(at: knee) { out += advice.explanation + "\n" }
        } else {
            out += "Capacity: no measured rate meets the service level\n"
        }
        return out
    }

    static func document(_ search: CapacitySearch, level: ServiceLevel, profile: Profile, target: String) throws -> Data {
        func step(_ s: CapacityStep) -> [String: Any] {
            var d: [String: Any] = ["offeredRate": s.offeredRate, "achievedRate": s.achievedRate, "completed": s.completed,
                                    "errorRate": s.errorRate, "p50Ms": Double(s.p50Nanoseconds) / 1e6,
                                    "p99Ms": Double(s.p99Nanoseconds) / 1e6, "passed": s.passed]
            if let w = s.dbSecondsPerRequest { d["dbMsPerRequest"] = w * 1e3 }
            if let m = s.miss { d["miss"] = m }
            return d
        }
        var doc: [String: Any] = [
            "schema": "dyno.capacity", "schemaVersion": 1, "profile": profile.name, "target": target,
            "serviceLevel": ["p99Ms": level.p99Seconds.map { $0 * 1e3 } as Any? ?? NSNull(),
                             "maxErrorRate": level.maxErrorRate as Any? ?? NSNull(),
                             "minAchievedFraction": level.minAchievedFraction] as [String: Any],
            "steps": search.steps.map(step),
            "reachedMaxRate": search.reachedMaxRate,
        ]
        doc["knee"] = search.knee.map(step) ?? NSNull()
        if let knee = search.knee, let advice = PoolSizeAdvice(at: knee) {
            doc["poolAdvice"] = ["poolSize": advice.poolSize, "meanBusyConnections": advice.meanBusyConnections,
                                 "explanation": advice.explanation]
        }
        return try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
    }
}
