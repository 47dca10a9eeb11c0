import DemoBackend
import Foundation
import Knobs
import LoadGenerator
import Metrics

/// A session ready to start, and what must be shut down after it (the embedded backend).
public struct BuiltRun: Sendable {
    public let session: RunSession
    /// The embedded backend, when the target is embedded.
    public let backend: DemoBackend?
    /// An external target's metrics scraper (`--metrics`).
    public var scraper: MetricsScraper? = nil
    /// Stops the load (if still running), the scraper and the embedded backend.
    public func shutdown() {
        session.requestStop()
        if session.isStartedOrFinished { session.waitUntilFinished() }
        scraper?.stop()
        backend?.stop()
    }
}

/// Turns a profile into a running setup: the embedded backend (seeded on first start) or an external target,
/// a load plan, and the session that ties them to the aggregator. `main`, the console and the tests all use this.
public enum RunBuilder {
    public struct BuildError: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameter progress: one line per step worth telling a user (seeding progress, the backend's URL).
    /// - Parameter clock: the session's time (tests step a manual one).
    public static func build(profile: Profile, tickSeconds: Double = 0.1, clock: any RunClock = SystemRunClock(),
                             progress: @escaping @Sendable (String) -> Void) throws -> BuiltRun {
        var backend: DemoBackend? = nil
        var knobs: KnobRegistry? = nil
        let target: TargetAddress
        switch profile.target {
        case .embedded:
            var config = DemoBackendConfiguration()
            config.dataDirectory = profile.backend.dataDirectory
            config.seed = profile.backend.seed
            config.scale = profile.backend.scale
            config.port = 0
            // Internal errors reach the console and errors.log through the probe; stderr belongs to the console.
            config.errorSink = InternalErrorLog.discard
            // The profile's preset and knobs are applied by the session when it starts (they go on its timeline).
            let b: DemoBackend
            let registry: KnobRegistry
            do {
                (registry, b) = try DemoBackend.assemble(config, progress: progress)
            } catch {
                throw BuildError(description: "embedded backend (data directory \(config.dataDirectory)): \(error)")
            }
            let port = try b.start()
            progress("embedded demo backend on http://127.0.0.1:\(port)")
            backend = b
            knobs = registry
            target = TargetAddress(host: "127.0.0.1", port: port)
        case .url(let host, let port, let basePath):
            target = TargetAddress(host: host, port: port, basePath: basePath)
        }
        do {
            let plan = try loadPlan(for: profile, target: target)
            let generator = try LoadGenerator(plan: plan)
            let driver = GeneratorDriver(generator)
            var probe: (@Sendable () -> BackendSnapshot)? = nil
            if let b = backend { probe = { b.probe() } }
            let scraper = try profile.metricsURL.map { url throws in
                try MetricsScraper(url: url, period: .nanoseconds(Int64(tickSeconds * 1e9)))
            }
            if let scraper { probe = { scraper.snapshot } }
            let description = profile.target == .embedded
                ? "embedded demo (http://127.0.0.1:\(target.port))" : profile.target.description
            let session = RunSession(profile: profile, driver: driver, knobs: knobs, targetDescription: description,
                                     probe: probe, tickSeconds: tickSeconds, clock: clock)
            scraper?.start()
            return BuiltRun(session: session, backend: backend, scraper: scraper)
        } catch {
            backend?.stop()
            throw error
        }
    }

    /// The load generator's plan for `profile` against `target`.
    public static func loadPlan(for profile: Profile, target: TargetAddress) throws -> LoadPlan {
        // Paths are resolved here once ({{api}}, the URL's path, never doubled): the generator gets them whole.
        let paths = RequestPaths(urlPath: target.basePath, apiPrefix: profile.apiPrefix)
        var target = target
        target.basePath = ""
        let model: LoadModelPlan
        var connections = 64
        switch profile.load {
        case .open(let stages, let c):
            connections = c
            model = .open(try ArrivalSchedule(segments: stages.flatMap(segments)))
        case .closed(let users, let think):
            model = .closed(users: users, thinkTime: .nanoseconds(Int64(think * 1e9)))
        }
        var values: [String: ValueList] = [:]
        var harvests: [HarvestPlan] = []
        for (name, spec) in profile.values.sorted(by: { $0.key < $1.key }) {
            let distribution: ValueDistribution
            switch spec.pick {
            case .uniform: distribution = .uniform
            case .zipf(let s): distribution = .zipf(s: s)
            }
            switch spec.source {
            case .list(let items):
                values[name] = ValueList(items, distribution: distribution)
            case .range(let lo, let hi):
                guard hi - lo < 1_000_000 else {
                    throw BuildError(description: "\(profile.source): field \"values.\(name).range\": at most 1,000,000 values")
                }
                values[name] = ValueList((lo...hi).map(String.init), distribution: distribution)
            case .harvest(let path, let extract, let byFrequency):
                harvests.append(HarvestPlan(valueName: name, path: paths.resolve(path), extract: extract,
                                            distribution: distribution, order: byFrequency ? .frequency : .asListed))
            }
        }
        let routes = profile.mix.map { r in
            var headers = r.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            if profile.acceptGzip, !headers.contains(where: { $0.0.lowercased() == "accept-encoding" }) {
                headers.append(("Accept-Encoding", "gzip"))
            }
            return RoutePlan(name: r.name, weight: r.weight, method: r.method, path: paths.resolve(r.path),
                             headers: headers, body: r.body, expect: r.expect, undoMethod: r.undo)
        }
        let session = profile.session.map { s in
            SessionPlan(setup: RoutePlan(name: "session setup", method: s.method, path: paths.resolve(s.path),
                                         headers: s.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, body: s.body),
                        extract: s.extract.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        }
        return LoadPlan(target: target, model: model, routes: routes, values: values, harvests: harvests,
                        session: session, connections: connections, threads: profile.threads ?? LoadPlan.defaultThreads,
                        requestTimeout: .nanoseconds(Int64(profile.requestTimeoutSeconds * 1e9)))
    }

    /// A profile stage as arrival-schedule segments (a stage of duration 0 holds its rate forever).
    static func segments(_ stage: RateStage) -> [ArrivalSchedule.Segment] {
        switch stage {
        case .constant(let rate, let d):
            return [.init(seconds: d, fromRate: rate, toRate: rate)]
        case .ramp(let from, let to, let d):
            return [.init(seconds: d, fromRate: from, toRate: to)]
        case .steps(let from, let to, let by, let every):
            return stride(from: from, through: to, by: by).map { .init(seconds: every, fromRate: $0, toRate: $0) }
        case .spike(let rate, let peak, let at, let length, let d):
            return [.init(seconds: at, fromRate: rate, toRate: rate),
                    .init(seconds: length, fromRate: peak, toRate: peak),
                    .init(seconds: max(0, d - at - length), fromRate: rate, toRate: rate)]
        }
    }
}

/// Adapts `LoadGenerator` to the session's `LoadDriver`.
final class GeneratorDriver: LoadDriver {
    let generator: LoadGenerator
    init(_ generator: LoadGenerator) { self.generator = generator }

    func prepare() throws { try generator.prepare() }
    func start() { generator.start() }
    func collect() -> (load: LoadSnapshot, routes: [RouteSnapshot]) {
        let tick = generator.collect()
        return (tick.load, tick.routes)
    }
    func stop() { generator.stop() }
    func pause() { generator.pause() }
    func resume() { generator.resume() }
    func setRate(_ perSecond: Double) { generator.setRate(perSecond) }
    func setUsers(_ users: Int) { generator.setUsers(users) }
    func resetStatistics() { generator.resetStatistics() }
    func routeTotalHistograms() -> [RouteHistograms] { generator.routeTotalHistograms() }
}
