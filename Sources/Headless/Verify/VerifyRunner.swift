import DemoBackend
import Engine
import Foundation
import Knobs
import Metrics

/// Measures verify trials with real load on the embedded backend. One session (backend + generator) per mix runs
/// the whole time; each trial sets its knobs and rate, waits for a live index build to finish, settles (not
/// measured: queues drain or build, caches fill), resets the statistics, measures, and reads the totals since the
/// reset — the same machinery as `dyno capacity` (`RunBuilder`, `RunSession`, `CapacityRunner`).
public struct VerifyRunner {
    public var plan: VerifyPlan
    public var dataDirectory: String
    public var progress: @Sendable (String) -> Void
    public var clock: any RunClock = SystemRunClock()

    public init(plan: VerifyPlan, dataDirectory: String, progress: @escaping @Sendable (String) -> Void) {
        self.plan = plan; self.dataDirectory = dataDirectory; self.progress = progress
    }

    public struct RunError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Measures every trial once. Trials of one mix share a session; within it, the lowest rates and the fewest
    /// naive knobs go first, capacity searches last (naive first: its rates are low); before each trial the backlog
    /// of the previous one drains at a trickle (`CapacityRunner.drainAtTrickle`), so it never lands in the next
    /// one's window.
    public func run(_ trials: [VerifyTrial], settings: KnobSettings) throws -> [VerifyTrial: VerifyMeasurement] {
        var results: [VerifyTrial: VerifyMeasurement] = [:]
        let unique = Array(Set(trials))
        let started = clock.now()
        for mix in VerifyMix.allCases {
            let mine = unique.filter { $0.mix == mix }.sorted { a, b in
                let ka = (a.kind == .capacity ? 1 : 0, a.kind == .capacity ? -naiveness(a, settings) : 0, a.rate, naiveness(a, settings))
                let kb = (b.kind == .capacity ? 1 : 0, b.kind == .capacity ? -naiveness(b, settings) : 0, b.rate, naiveness(b, settings))
                if ka != kb { return ka < kb }
                return a.knobs.sorted { $0.key < $1.key }.description < b.knobs.sorted { $0.key < $1.key }.description
            }
            guard !mine.isEmpty else { continue }
            let built = try build(mix, rate: mine[0].rate)
            defer { built.shutdown() }
            for (i, trial) in mine.enumerated() {
                let elapsed = Int(Double(clock.now() - started) / 1e9)
                progress("  [\(mix.rawValue) \(i + 1)/\(mine.count), \(elapsed) s] \(trial): \(changed(trial, settings))")
                results[trial] = try measure(trial, built)
            }
            // Faults back to none: a hung dependency would hold blocking calls while the backend stops.
            _ = try? built.session.knobs?.set(settings.faults, source: "verify")
        }
        return results
    }

    /// How many knobs differ from all-optimized (faults count too).
    func naiveness(_ t: VerifyTrial, _ s: KnobSettings) -> Int {
        t.knobs.filter { s.optimized[$0.key] != $0.value }.count
    }

    /// The trial's knobs said against whichever end is closer: "all optimized", "all naive", "optimized but
    /// cache=off", "naive but indexes=on".
    func changed(_ t: VerifyTrial, _ s: KnobSettings) -> String {
        let fromOptimized = t.knobs.filter { s.optimized[$0.key] != $0.value }.sorted { $0.key < $1.key }
        let fromNaive = t.knobs.filter { s.naive[$0.key] != $0.value }.sorted { $0.key < $1.key }
        if fromOptimized.isEmpty { return "all optimized" }
        if fromNaive.isEmpty { return "all naive" }
        let (base, d) = fromNaive.count < fromOptimized.count ? ("naive", fromNaive) : ("optimized", fromOptimized)
        return base + " but " + d.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// The shipped profile behind `mix`, as one open-model session without end, schedule or thresholds.
    func profile(_ mix: VerifyMix, rate: Double) throws -> Profile {
        let file: String
        switch mix {
        case .reads: file = "ci"
        case .heavy, .light: file = "heavy-work"
        case .dependency: file = "dependency-outage"
        case .payloads: file = "payloads"
        case .leak: file = "leak"
        }
        guard let path = ResourceLocator.profilePath(file) else {
            throw RunError(description: "Profiles/\(file).json not found; run from the Dyno checkout or set DYNO_HOME")
        }
        var p: Profile
        do { p = try ProfileParser.load(path: path, knobs: DemoBackend.makeKnobRegistry()) } catch {
            throw RunError(description: "\(error)")
        }
        if mix == .light { p.mix.removeAll { !NonBlockingCheck.isLight($0.name) } }
        if mix == .leak { p.mix.removeAll { $0.name != "shared link" } }
        if mix == .heavy, let i = p.mix.firstIndex(where: { !NonBlockingCheck.isLight($0.name) }) {
            // The report's weight for `heavyReportRate` reports a second out of `heavyRate`.
            let light = p.mix.filter { NonBlockingCheck.isLight($0.name) }.reduce(0) { $0 + $1.weight }
            p.mix[i].weight = light * plan.heavyReportRate / max(plan.heavyRate - plan.heavyReportRate, 1)
        }
        // Sessions log in as seeded readers: only as many as the scale seeded (2,000 at scale 1, at least 5).
        if case .range(let lo, let hi)? = p.values["reader"]?.source {
            p.values["reader"]?.source = .range(lo, min(hi, max(lo, Int(2000 * plan.scale))))
        }
        // 64 connections for every mix: enough for the rates here, and each connection of a mix with sessions logs
        // in (a password hash each) before the load starts.
        p.load = .open(stages: [.constant(rate: rate, durationSeconds: 0)], connections: 64)
        p.target = .embedded
        p.backend.dataDirectory = dataDirectory
        p.backend.scale = plan.scale
        p.durationSeconds = nil
        p.warmupSeconds = 0
        p.knobSchedule = []
        p.preset = nil
        p.knobs = [:]
        p.thresholds = Thresholds()
        p.name = "verify-" + mix.rawValue
        return p
    }

    func build(_ mix: VerifyMix, rate: Double) throws -> BuiltRun {
        let built: BuiltRun
        do {
            built = try RunBuilder.build(profile: try profile(mix, rate: rate), clock: clock, progress: { _ in })
        } catch let e as RunError { throw e } catch {
            throw RunError(description: "\(error)")
        }
        do { try built.session.start() } catch {
            built.shutdown()
            throw RunError(description: "\(mix.rawValue) mix: \(error)")
        }
        return built
    }

    func measure(_ trial: VerifyTrial, _ built: BuiltRun) throws -> VerifyMeasurement {
        let session = built.session
        // The previous trial's backlog (a naive setting behind its schedule) must not land in this one's window.
        CapacityRunner.drainAtTrickle(session: session, clock: clock)
        do { try session.knobs?.set(trial.knobs, source: "verify") } catch {
            throw RunError(description: "\(error)")
        }
        waitForIndexes(built)
        session.setRate(trial.rate, source: "verify")
        switch trial.kind {
        case .steady:
            let leak = trial.mix == .leak
            sleep(leak ? plan.leakSettleSeconds : plan.settleSeconds)
            session.resetStatistics(source: "verify")
            let before = built.backend?.probe()
            var samples: [MemorySample] = []
            if leak {
                samples = sampleMemory(seconds: plan.leakMeasureSeconds)
            } else if trial.mix == .heavy || trial.mix == .light {
                sleep(plan.heavyMeasureSeconds ?? plan.measureSeconds)
            } else {
                sleep(plan.measureSeconds)
            }
            guard let snapshot = session.latestSnapshot else { throw RunError(description: "the session produced no snapshot") }
            let resetAt = snapshot.events.last { $0.kind == "reset" }?.atSeconds ?? 0
            var m = Self.figures(snapshot, histograms: session.result().routeHistograms, backendBefore: before)
            m.memorySamples = samples
            m.offeredRate = trial.rate
            m.seconds = max(snapshot.elapsedSeconds - resetAt, 0.001)
            progress("      " + Self.line(m))
            return m
        case .capacity:
            var search = CapacitySearch(startRate: trial.rate, resolution: plan.capacityResolution, maxSteps: plan.quick ? 8 : 14)
            CapacityRunner.run(session: session, search: &search, level: plan.capacitySLO, settleSeconds: plan.settleSeconds / 2,
                               measureSeconds: plan.capacityStepSeconds, clock: clock) { step in
                progress("      " + CapacityCommand.line(step))
            }
            var m = VerifyMeasurement()
            m.offeredRate = trial.rate
            m.capacitySteps = search.curve.map {
                CapacityStepFigures(offeredRate: $0.offeredRate, achievedRate: $0.achievedRate,
                                    p99Milliseconds: Double($0.p99Nanoseconds) / 1e6, errorRate: $0.errorRate, passed: $0.passed)
            }
            return m
        }
    }

    /// A live index build or drop (the `indexes` knob) runs to its end before anything is measured.
    func waitForIndexes(_ built: BuiltRun) {
        guard let backend = built.backend else { return }
        let deadline = clock.now() + 300_000_000_000
        while backend.probe().indexBuildProgress != nil && clock.now() < deadline {
            clock.sleep(until: clock.now() + 100_000_000)
        }
    }

    /// The process's memory once a second for `seconds` (anonymous RSS and heap in use; the embedded backend is
    /// this process).
    func sampleMemory(seconds: Double) -> [MemorySample] {
        let start = clock.now()
        var samples: [MemorySample] = []
        for i in 0...Int(seconds) {
            clock.sleep(until: start + UInt64(i) * 1_000_000_000)
            if let sample = MemorySample.read(at: Double(clock.now() - start) / 1e9) { samples.append(sample) }
        }
        return samples
    }

    func sleep(_ seconds: Double) { clock.sleep(until: clock.now() + UInt64(seconds * 1e9)) }

    /// The trial's figures from the totals since the reset, and the backend's counters before and after.
    static func figures(_ snapshot: Snapshot, histograms: [RouteHistograms], backendBefore: BackendSnapshot?) -> VerifyMeasurement {
        var m = VerifyMeasurement()
        let byName = Dictionary(histograms.map { ($0.name, $0.latency) }, uniquingKeysWith: { a, _ in a })
        for r in snapshot.routes {
            var route = VerifyMeasurement.Route(completed: r.total.completed, errors: r.total.unexpectedErrors,
                                                bytes: r.total.bytesReceived, latency: byName[r.name] ?? LatencyHistogram())
            route.transportErrors = r.total.transportErrors.values.reduce(0, +)
            m.routes[r.name] = route
        }
        if let after = snapshot.backend {
            let before = Dictionary((backendBefore?.routes ?? []).map { ($0.route, $0) }, uniquingKeysWith: { a, _ in a })
            for r in after.routes {
                let b = before[r.route]
                let requests = r.requests &- (b?.requests ?? 0)
                guard requests > 0, requests < UInt64.max / 2 else { continue }
                m.backend[r.route] = .init(requests: requests, dbQueries: r.dbQueries &- (b?.dbQueries ?? 0),
                                           dbNanoseconds: r.dbNanoseconds &- (b?.dbNanoseconds ?? 0),
                                           encodeNanoseconds: (r.stageNanoseconds["encode"] ?? 0) &- (b?.stageNanoseconds["encode"] ?? 0))
            }
            if let t = after.pool?.timeouts { m.poolTimeouts = t &- (backendBefore?.pool?.timeouts ?? 0) }
        }
        return m
    }

    static func line(_ m: VerifyMeasurement) -> String {
        let o = m.overall
        var text = "\(VerifyFormat.rate(m.achievedRate)) achieved, p50 " + VerifyFormat.ms(o.latency.percentile(50))
            + " p95 " + VerifyFormat.ms(o.latency.percentile(95)) + " p99 " + VerifyFormat.ms(o.latency.percentile(99))
            + ", errors \(o.errors)"
        if let q = m.queriesPerRequest(isRead) { text += String(format: ", %.2f q/read", q) }
        if m.poolTimeouts > 0 { text += ", pool timeouts \(m.poolTimeouts)" }
        return text
    }
}
