// The load generator: worker threads, live control, and the per-tick collector.
import Dispatch
import Foundation
import HTTP
import Metrics
import Synchronization

/// One tick of the generator's figures: what `collect()` returns.
public struct LoadTick: Sendable {
    /// Overall figures (interval since the previous `collect()`, totals since start or the last reset).
    public var load: LoadSnapshot
    /// Per route, in mix order.
    public var routes: [RouteSnapshot]
}

/// Runs a `LoadPlan` against its target.
///
/// Lifecycle: `init(plan:)` validates (throws `LoadPlanError` naming the field), `prepare()` talks to the target
/// (harvests, sessions; a clear error if it is unreachable), `start()` starts the worker threads at time zero,
/// `collect()` is called by the aggregator every tick (e.g. 100 ms), `stop()` stops sending, lets in-flight
/// requests finish (up to 2 s) and joins the threads. Control calls (`pause`, `resume`, `setRate`, `setUsers`,
/// `resetStatistics`) are cheap and safe from any thread.
///
/// Each worker thread runs one epoll loop over many non-blocking keep-alive connections and records into its
/// own histograms and counters without locks or allocation; every 25 ms it hands them to a mailbox (an O(1)
/// swap under a mutex), which `collect()` empties. Latency is measured from each request's intended send time
/// (open model: its scheduled arrival; closed model: when the user was ready), and service time from the actual
/// write, both to the end of the response.
public final class LoadGenerator: Sendable {
    /// The plan as given (harvested values are filled in by `prepare()`).
    public let plan: LoadPlan
    /// Closed model: the most users `setUsers` accepts (the initial users, at least 1,024).
    public let maxUsers: Int

    private let control: GeneratorControl
    private let prepared = Mutex<PreparedRun?>(nil)
    private let runtime = Mutex<Runtime>(Runtime())
    private let collector: Mutex<Collector>
    private let group = DispatchGroup()

    private struct Runtime: Sendable {
        var started = false
        var stopped = false
        var startTime: UInt64 = 0
        var mailboxes: [WorkerMailbox] = []
        var failures: [String] = []
    }

    /// Validates `plan`; throws `LoadPlanError` naming what is wrong.
    public init(plan: LoadPlan) throws(LoadPlanError) {
        try Preparation.validate(plan)
        self.plan = plan
        var initial = ControlState()
        switch plan.model {
        case .open:
            maxUsers = 0
        case .closed(let users, _):
            maxUsers = max(users, 1024)
            initial.users = users
        }
        control = GeneratorControl(initial)
        collector = Mutex(Collector(routeNames: plan.routes.map(\.name)))
    }

    /// Resolves the target, runs the harvests and creates the sessions (closed model: one per user; open model:
    /// one per connection). Throws a `LoadPlanError` saying what failed, e.g. the target refused or timed out.
    public func prepare() throws(LoadPlanError) {
        let sessions: Int
        switch plan.model {
        case .open: sessions = plan.connections
        case .closed(let users, _): sessions = users
        }
        let run = try Preparation.prepare(plan, sessionCount: sessions)
        prepared.withLock { $0 = run }
    }

    /// Starts the worker threads; time zero of the schedule is now. `prepare()` must have succeeded.
    public func start() {
        guard let run = prepared.withLock({ $0 }) else {
            preconditionFailure("LoadGenerator.start() called before a successful prepare()")
        }
        let now = MonotonicClock.nanoseconds()
        let alreadyStarted = runtime.withLock { rt -> Bool in
            if rt.started { return true }
            rt.started = true
            rt.startTime = now
            return false
        }
        if alreadyStarted { return }
        let threads = plan.threads
        var models: [WorkerModel] = []
        switch plan.model {
        case .open(let schedule):
            let epoch = ScheduleEpoch(schedule: schedule, origin: now, startIndex: 0)
            control.update { $0.changeEpoch(to: epoch, at: now) }
            for lane in 0..<threads {
                // Connections spread over the workers; each gets at least one.
                let share = max(1, (plan.connections - lane + threads - 1) / threads)
                models.append(.open(connections: share, epoch: epoch))
            }
        case .closed(_, let think):
            models = Array(repeating: .closed(thinkNanos: think.nanoseconds, maxUsers: maxUsers), count: threads)
        }
        let mailboxes = (0..<threads).map { _ in WorkerMailbox(routeCount: plan.routes.count) }
        runtime.withLock { $0.mailboxes = mailboxes }
        let capacity = models.reduce(0) { sum, model in
            if case .open(let connections, _) = model { return sum + connections } else { return sum }
        }
        collector.withLock { $0.begin(workers: threads, routeCount: plan.routes.count, connections: capacity, at: now) }
        for lane in 0..<threads {
            let config = WorkerConfig(
                lane: lane, lanes: threads, address: run.address, catalog: run.catalog, seed: plan.seed,
                requestTimeoutNanos: plan.requestTimeout.nanoseconds, model: models[lane], control: control,
                mailbox: mailboxes[lane])
            group.enter()
            let thread = Thread { [group, self] in
                do throws(HTTPClientError) {
                    var worker = try LoadWorker(config: config)
                    worker.run()
                } catch {
                    self.runtime.withLock { $0.failures.append("worker \(lane): \(error)") }
                    config.mailbox.finished.store(true, ordering: .releasing)
                }
                group.leave()
            }
            thread.name = "dyno-load-\(lane)"
            thread.start()
        }
    }

    /// Stops sending, waits up to 2 s for in-flight requests, and joins the worker threads. A final `collect()`
    /// afterwards returns everything recorded (requests still unanswered after the 2 s are abandoned: counted as
    /// sent, neither completed nor failed). Safe to call more than once; a stopped generator cannot be restarted.
    /// Always call it: running worker threads keep the generator alive.
    public func stop() {
        let wasRunning = runtime.withLock { rt -> Bool in
            let running = rt.started && !rt.stopped
            rt.stopped = true
            return running
        }
        guard wasRunning else { return }
        control.stopRequested.store(true, ordering: .relaxed)
        control.generation.wrappingAdd(1, ordering: .releasing)
        _ = group.wait(timeout: .now() + .seconds(5))
    }

    /// Problems that stopped worker threads from running (empty when all is well).
    public var workerFailures: [String] { runtime.withLock { $0.failures } }

    // MARK: - Control

    /// Stops offering load until `resume()`; the open-model schedule is shifted by the pause (no catch-up burst).
    public func pause() {
        let now = MonotonicClock.nanoseconds()
        control.update { s in
            guard !s.paused else { return }
            s.paused = true
            s.pausedAt = now
            if let epoch = s.epoch {
                s.resumeSchedule = epoch.schedule
                s.resumeOrigin = epoch.origin
                s.changeEpoch(to: ScheduleEpoch(schedule: nil, origin: now, startIndex: 0), at: now)
            }
        }
    }

    /// Resumes after `pause()`.
    public func resume() {
        let now = MonotonicClock.nanoseconds()
        control.update { s in
            guard s.paused else { return }
            s.paused = false
            if s.epoch != nil, let schedule = s.resumeSchedule {
                let elapsedBefore = s.pausedAt &- min(s.pausedAt, s.resumeOrigin)
                s.changeEpoch(to: ScheduleEpoch(schedule: schedule, origin: s.resumeOrigin &+ (now &- s.pausedAt),
                                                startIndex: schedule.firstIndex(atOrAfter: elapsedBefore)), at: now)
            }
        }
    }

    /// Open model: a constant `rate` requests per second from now on (replacing the shape). Ignored for closed.
    public func setRate(_ rate: Double) {
        guard case .open = plan.model, let schedule = try? ArrivalSchedule.constant(max(0, rate)) else { return }
        let now = MonotonicClock.nanoseconds()
        control.update { s in
            if s.paused {
                s.resumeSchedule = schedule
                s.resumeOrigin = s.pausedAt
            } else {
                s.changeEpoch(to: ScheduleEpoch(schedule: schedule, origin: now, startIndex: 0), at: now)
            }
        }
    }

    /// Closed model: `users` virtual users from now on (clamped to 0...maxUsers). Ignored for open.
    public func setUsers(_ users: Int) {
        guard case .closed = plan.model else { return }
        let n = min(max(0, users), maxUsers)
        control.update { $0.users = n }
    }

    /// Forgets all statistics recorded so far (totals and the current interval).
    public func resetStatistics() {
        let mailboxes = runtime.withLock { $0.mailboxes }
        collector.withLock { $0.reset(mailboxes: mailboxes) }
    }

    /// Each route's latency histograms since the start (or the last reset), as of the last `collect()`.
    public func routeTotalHistograms() -> [RouteHistograms] {
        collector.withLock { $0.routeTotalHistograms }
    }

    /// Whether the generator is paused.
    public var isPaused: Bool { control.read().paused }

    // MARK: - Collect

    /// Gathers what the workers recorded since the previous call into an interval, adds it to the totals and
    /// returns both. Called by one aggregator thread every tick; costs O(routes × histogram size), no I/O.
    public func collect() -> LoadTick {
        let now = MonotonicClock.nanoseconds()
        let mailboxes = runtime.withLock { $0.mailboxes }
        let state = control.read()
        let model: LoadModel
        var offered: Double? = nil
        switch plan.model {
        case .open:
            var rate = 0.0
            if !state.paused, let epoch = state.epoch, let schedule = epoch.schedule {
                rate = schedule.rate(at: now &- min(now, epoch.origin))
            }
            model = .open(ratePerSecond: rate)
            offered = rate
        case .closed(_, let think):
            model = .closed(users: state.users, thinkTimeSeconds: think.seconds)
        }
        return collector.withLock { $0.collect(mailboxes: mailboxes, now: now, model: model, offeredRate: offered) }
    }
}

/// Folds worker batches into interval and total figures. Owned by the generator behind a mutex.
///
/// The histograms a tick hands out (each route's interval, the run's interval and totals) come from two sets used
/// in turn: a tick writes into the set handed out two ticks before, which its readers (the session's latest
/// snapshot, the per-second fold) have let go of by then, so the set is reset in place. Why: one set shared with
/// the last snapshot was copied on every write (copy-on-write), ~14 histograms of 144 KiB every 100 ms, each a
/// fresh mapping zeroed page by page, on the cores the backend under test serves on. A reader that keeps a
/// snapshot longer only brings the copy back for that set; it never sees a later tick's values.
struct Collector: Sendable {
    let routeNames: [String]
    private var spares: [WorkerStats] = []
    private var intervals: [WorkerStats]
    private var totals: [RouteRecorder]
    /// The run's interval and totals, in the same two sets.
    private var overallIntervals = [RouteRecorder(), RouteRecorder()]
    private var latencyTotals = [LatencyHistogram(), LatencyHistogram()]
    private var serviceTotals = [LatencyHistogram(), LatencyHistogram()]
    /// The set this tick writes into (0 or 1).
    private var set = 0
    private var lastCollect: UInt64 = 0
    /// Open model: the connections of all workers together.
    private var connectionCapacity = 0

    /// Behind schedule when the oldest due send is later than this (10 ms).
    static let lagTolerance: UInt64 = 10_000_000

    init(routeNames: [String]) {
        self.routeNames = routeNames
        intervals = Array(repeating: WorkerStats(routeCount: routeNames.count), count: 2)
        totals = Array(repeating: RouteRecorder(), count: routeNames.count)
    }

    mutating func begin(workers: Int, routeCount: Int, connections: Int, at now: UInt64) {
        spares = Array(repeating: WorkerStats(routeCount: routeCount), count: workers)
        connectionCapacity = connections
        lastCollect = now
    }

    mutating func reset(mailboxes: [WorkerMailbox]) {
        for (i, mailbox) in mailboxes.enumerated() where i < spares.count {
            mailbox.take(into: &spares[i])
            spares[i].reset()
        }
        for i in totals.indices { totals[i].reset() }
        for i in 0..<2 {
            latencyTotals[i].reset()
            serviceTotals[i].reset()
        }
    }

    var routeTotalHistograms: [RouteHistograms] {
        routeNames.indices.map { RouteHistograms(name: routeNames[$0], latency: totals[$0].latency, service: totals[$0].service) }
    }

    mutating func collect(mailboxes: [WorkerMailbox], now: UInt64, model: LoadModel, offeredRate: Double?) -> LoadTick {
        let previous = set
        set = 1 - set
        intervals[set].reset()
        var inFlight = 0, connections = 0
        var busiest = 0.0
        var queued = 0
        for (i, mailbox) in mailboxes.enumerated() where i < spares.count {
            mailbox.take(into: &spares[i])
            queued += spares[i].maxQueued   // each worker's own queue: they add up
            if spares[i].elapsedNanos > 0 {
                busiest = max(busiest, Double(spares[i].busyNanos) / Double(spares[i].elapsedNanos))
            }
            intervals[set].merge(spares[i])
            spares[i].reset()
            inFlight += mailbox.inFlight.load(ordering: .relaxed)
            connections += mailbox.openConnections.load(ordering: .relaxed)
        }
        let seconds = lastCollect == 0 ? 0 : Double(now &- min(now, lastCollect)) / 1e9
        lastCollect = now

        var load = LoadSnapshot()
        load.model = model
        load.inFlight = inFlight
        load.openConnections = connections
        var routes: [RouteSnapshot] = []
        routes.reserveCapacity(routeNames.count)
        overallIntervals[set].reset()
        for r in routeNames.indices {
            let part = intervals[set].routes[r]
            totals[r].merge(part)
            overallIntervals[set].merge(part)
            var snapshot = RouteSnapshot(name: routeNames[r])
            snapshot.interval = part.counts
            snapshot.total = totals[r].counts
            snapshot.latencyInterval = part.latency
            snapshot.latencyTotal = totals[r].latency.summary
            snapshot.serviceTotal = totals[r].service.summary
            routes.append(snapshot)
        }
        let overallInterval = overallIntervals[set]
        // This set's totals are two ticks old: start from the previous tick's, then add this interval.
        latencyTotals[set].reset()
        latencyTotals[set].merge(latencyTotals[previous])
        latencyTotals[set].merge(overallInterval.latency)
        serviceTotals[set].reset()
        serviceTotals[set].merge(serviceTotals[previous])
        serviceTotals[set].merge(overallInterval.service)
        load.interval = overallInterval.counts
        load.total = LoadCounts()
        for r in totals.indices { load.total.add(totals[r].counts) }
        load.latencyInterval = overallInterval.latency
        load.serviceInterval = overallInterval.service
        load.latencyTotal = latencyTotals[set]
        load.serviceTotal = serviceTotals[set]
        load.achievedRate = seconds > 0 ? Double(overallInterval.completed) / seconds : 0
        load.offeredRate = offeredRate ?? (seconds > 0 ? Double(overallInterval.sent) / seconds : 0)

        var health = GeneratorHealth()
        health.lagSeconds = Double(intervals[set].maxLagNanos) / 1e9
        health.behindSchedule = intervals[set].maxLagNanos > Self.lagTolerance
        // Only the generator's own resources make it the bottleneck; every connection waiting on the server is
        // the server's saturation (`GeneratorHealth.bottleneck` tells them apart).
        if intervals[set].descriptorFailures > 0 {
            health.limitedBy = "file descriptors"
        } else if busiest > 0.9 {
            health.limitedBy = "cpu"
        }
        health.allConnectionsWaiting = intervals[set].connectionStarved > 0
        health.queuedArrivals = queued
        health.connectionsWaiting = inFlight
        if case .closed(let users, _) = model { health.connections = users } else { health.connections = connectionCapacity }
        load.generator = health
        return LoadTick(load: load, routes: routes)
    }
}
