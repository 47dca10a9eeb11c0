import Foundation
import Knobs
import Metrics
import Synchronization

/// A run in progress: drives the load, ticks the aggregator, applies the profile's knob schedule, and keeps the
/// newest `Snapshot` for readers (console, progress line, reports). Readers never block the load or the backend:
/// they only take the latest snapshot under a short lock.
public final class RunSession: Sendable {
    public let profile: Profile
    /// The knob registry the backend reads; nil when the target is external.
    public let knobs: KnobRegistry?
    public let targetDescription: String
    public let tickSeconds: Double

    private let driver: LoadDriver
    private let probe: (@Sendable () -> BackendSnapshot)?
    private let runClock: any RunClock

    fileprivate struct State {
        var latest: Snapshot?
        var events: [TimelineEvent] = []
        /// The measured part of the run, folded per second (warm-up left out).
        var seconds = SecondFold()
        var samples: [SecondSample] = []
        /// Per-second samples kept at most (nil: all); see `retainSamples(atMost:)`.
        var sampleLimit: Int? = nil
        var paused = false
        var phase: RunPhase = .starting
        var finished = false
        var stopRequested = false
        var startNanos: UInt64 = 0
        var measuringStartNanos: UInt64 = 0
        var pausedNanos: UInt64 = 0
        var pausedSince: UInt64? = nil
        var startedAt = ""
        var sequence = 0
        var currentRate: Double? = nil
        var currentUsers: Int? = nil
        /// The user changed the rate by hand: the schedule no longer decides it.
        var rateOverridden = false
        var observers: [@Sendable (Snapshot) -> Void] = []
        /// The last breaker transition put on the timeline (per dependency).
        var breakerSequences: [String: UInt64] = [:]
    }
    private let state: Mutex<State>
    private let finishedCondition = NSCondition()

    /// - Parameters:
    ///   - probe: the embedded backend's probe, read once per tick (nil for an external target).
    ///   - clock: the time ticks are taken and waited on (tests step a manual one).
    public init(profile: Profile, driver: LoadDriver, knobs: KnobRegistry?, targetDescription: String,
                probe: (@Sendable () -> BackendSnapshot)?, tickSeconds: Double = 0.1,
                clock: any RunClock = SystemRunClock()) {
        self.profile = profile
        self.driver = driver
        self.knobs = knobs
        self.targetDescription = targetDescription
        self.probe = probe
        self.tickSeconds = tickSeconds
        self.runClock = clock
        var initial = State()
        switch profile.load {
        case .open(let stages, _): initial.currentRate = stages.first?.rate(at: 0)
        case .closed(let users, _): initial.currentUsers = users
        }
        state = Mutex(initial)
        knobs?.observe { [weak self] changes in self?.recordKnobChanges(changes) }
    }

    // MARK: lifecycle

    /// Applies the profile's preset and knobs, prepares the driver (harvest, sessions) and starts the load and
    /// the tick thread.
    public func start() throws {
        if let knobs {
            if let preset = profile.preset { knobs.apply(preset: preset, source: "profile") }
            if !profile.knobs.isEmpty { try knobs.set(profile.knobs, source: "profile") }
        }
        try driver.prepare()
        let now = clock()
        state.withLock {
            $0.startNanos = now
            $0.measuringStartNanos = now
            $0.phase = profile.warmupSeconds > 0 ? .warmup : .measuring
            $0.startedAt = ISO8601DateFormatter().string(from: Date())
        }
        driver.start()
        let thread = Thread { [self] in tickLoop() }
        thread.name = "dyno-aggregator"
        thread.start()
    }

    /// Asks the run to end now (the console's `q`, Ctrl-C in a headless run). Returns at once.
    public func requestStop() {
        state.withLock { $0.stopRequested = true }
    }

    /// Blocks until the run has finished (its duration elapsed or a stop was requested) and the load stopped.
    public func waitUntilFinished() {
        finishedCondition.lock()
        while !state.withLock({ $0.finished }) { finishedCondition.wait() }
        finishedCondition.unlock()
    }

    public var isFinished: Bool { state.withLock { $0.finished } }

    /// True once `start()` got the load going (so `waitUntilFinished` will return after a stop request).
    public var isStartedOrFinished: Bool { state.withLock { $0.phase != .starting || $0.finished } }

    /// `observer` receives every snapshot, on the aggregator thread, right after it is taken (keep it short).
    public func observeSnapshots(_ observer: @escaping @Sendable (Snapshot) -> Void) {
        state.withLock { $0.observers.append(observer) }
    }

    /// The newest snapshot (nil before the first tick).
    public var latestSnapshot: Snapshot? { state.withLock { $0.latest } }

    // MARK: live control (console keys)

    public var isPaused: Bool { state.withLock { $0.paused } }

    public func togglePause() {
        let now = clock()
        let paused = state.withLock { s -> Bool in
            s.paused.toggle()
            if s.paused { s.pausedSince = now } else if let since = s.pausedSince { s.pausedNanos += now - since; s.pausedSince = nil }
            return s.paused
        }
        if paused { driver.pause() } else { driver.resume() }
        addEvent(kind: paused ? "pause" : "resume", detail: paused ? "load paused" : "load resumed", source: "key")
    }

    /// Open model: multiplies the current rate by `factor`; closed model: does nothing (use `adjustUsers`).
    public func adjustRate(by factor: Double) {
        guard let rate = state.withLock({ $0.currentRate }) else { return }
        setRate(max(1, (rate * factor).rounded()), source: "key")
    }

    /// Open model: offers `perSecond` from now on, whatever the profile's schedule says; closed model: nothing.
    public func setRate(_ perSecond: Double, source: String) {
        let applied = state.withLock { s -> Bool in
            guard s.currentRate != nil else { return false }
            s.currentRate = perSecond
            s.rateOverridden = true
            return true
        }
        guard applied else { return }
        driver.setRate(perSecond)
        addEvent(kind: "rate", detail: "rate=\(threeDigits(perSecond))/s", source: source)
    }

    /// Closed model: adds `delta` users (at least 1 remains).
    public func adjustUsers(by delta: Int) {
        guard let users = state.withLock({ s -> Int? in
            guard let u = s.currentUsers else { return nil }
            s.currentUsers = max(1, u + delta)
            return s.currentUsers
        }) else { return }
        driver.setUsers(users)
        addEvent(kind: "users", detail: "users=\(users)", source: "key")
    }

    public var currentRate: Double? { state.withLock { $0.currentRate } }
    public var currentUsers: Int? { state.withLock { $0.currentUsers } }

    public func resetStatistics(source: String = "key") {
        driver.resetStatistics()
        addEvent(kind: "reset", detail: "statistics reset", source: source)
    }

    public func applyPreset(_ preset: KnobPreset, source: String = "key") {
        knobs?.apply(preset: preset, source: source)
        addEvent(kind: "preset", detail: "preset=\(preset.rawValue)", source: source)
    }

    /// Adds a marker to the timeline (e.g. the console's baseline mark).
    public func addEvent(kind: String, detail: String, source: String) {
        let now = clock()
        state.withLock { s in
            s.events.append(TimelineEvent(atSeconds: s.startNanos == 0 ? 0 : Double(now - s.startNanos) / 1e9,
                                          kind: kind, detail: detail, source: source))
        }
    }

    // MARK: the tick loop

    private func recordKnobChanges(_ changes: [KnobChange]) {
        state.withLock { s in
            for c in changes {
                let at = s.startNanos == 0 || c.atNanoseconds < s.startNanos ? 0 : Double(c.atNanoseconds - s.startNanos) / 1e9
                s.events.append(TimelineEvent(atSeconds: at, kind: "knob", detail: "\(c.id)=\(c.newValue)", source: c.source))
            }
        }
    }

    /// New breaker state changes become timeline events ("recommendations breaker open"), so charts mark them.
    private func recordBreakerTransitions(_ backend: BackendSnapshot) {
        state.withLock { s in
            for breaker in backend.breakers {
                let seen = s.breakerSequences[breaker.dependency] ?? 0
                for t in breaker.transitions where t.sequence > seen {
                    let at = s.startNanos == 0 || t.atNanoseconds < s.startNanos ? 0 : Double(t.atNanoseconds - s.startNanos) / 1e9
                    s.events.append(TimelineEvent(atSeconds: at, kind: "breaker",
                                                  detail: "\(breaker.dependency) breaker \(t.to.rawValue)", source: "backend"))
                    s.breakerSequences[breaker.dependency] = t.sequence
                }
            }
        }
    }

    private func tickLoop() {
        let tickNanos = UInt64(tickSeconds * 1e9)
        var schedule = profile.knobSchedule[...]
        var lastTick = state.withLock { $0.startNanos }
        var next = lastTick + tickNanos
        while true {
            runClock.sleep(until: next)
            let now = clock()
            next += tickNanos
            if next < now { next = now + tickNanos }   // we fell behind (suspended?): don't burst

            let (elapsed, phase, stop) = state.withLock { s -> (Double, RunPhase, Bool) in
                (Double(now - s.startNanos) / 1e9, s.phase, s.stopRequested)
            }
            // Knob schedule (times are from the start of the run, warm-up included).
            while let step = schedule.first, step.atSeconds <= elapsed {
                schedule = schedule.dropFirst()
                if let preset = step.preset { applyPreset(preset, source: "profile") }
                // Validated against the registry when the profile was read, so this cannot fail.
                if !step.set.isEmpty { _ = try? knobs?.set(step.set, source: "profile") }
            }
            // Warm-up ends: forget its statistics.
            var currentPhase = phase
            if phase == .warmup && elapsed >= profile.warmupSeconds {
                driver.resetStatistics()
                state.withLock { $0.phase = .measuring; $0.measuringStartNanos = now }
                addEvent(kind: "measure", detail: "warm-up over, measuring", source: "profile")
                currentPhase = .measuring
            }
            // Open-model rate changes of the schedule are the driver's business; keep our copy in step for display.
            if case .open(let stages, _) = profile.load {
                state.withLock { if !$0.rateOverridden { $0.currentRate = Self.scheduledRate(stages, at: elapsed) } }
            }

            let (load, routes) = driver.collect()
            let backend = probe?()
            if let backend { recordBreakerTransitions(backend) }
            let done = stop || (profile.totalSeconds.map { elapsed >= $0 } ?? false)
            let (snapshot, observers) = state.withLock { s -> (Snapshot, [@Sendable (Snapshot) -> Void]) in
                s.sequence += 1
                let snap = Snapshot(sequence: s.sequence, elapsedSeconds: elapsed, intervalSeconds: Double(now - lastTick) / 1e9,
                                    phase: done ? .finished : currentPhase, paused: s.paused, load: load, routes: routes,
                                    backend: backend, events: s.events)
                if currentPhase == .measuring {
                    // The tick that ended the warm-up reset the statistics: it is where measuring starts from.
                    if phase == .warmup {
                        s.seconds.begin(at: snap)
                    } else if let second = s.seconds.add(snap) {
                        s.keep(second)
                    }
                }
                s.latest = snap
                return (snap, s.observers)
            }
            for observe in observers { observe(snapshot) }
            lastTick = now
            if done { break }
        }
        driver.stop()
        state.withLock { s in
            if let last = s.seconds.finish() { s.keep(last) }
            s.finished = true
        }
        finishedCondition.lock()
        finishedCondition.broadcast()
        finishedCondition.unlock()
    }

    static func scheduledRate(_ stages: [RateStage], at t: Double) -> Double {
        var offset = 0.0
        for stage in stages {
            if stage.durationSeconds <= 0 || t < offset + stage.durationSeconds { return stage.rate(at: t - offset) }
            offset += stage.durationSeconds
        }
        return stages.last?.rate(at: stages.last!.durationSeconds) ?? 0
    }

    private func clock() -> UInt64 { runClock.now() }

    /// Keeps at most `limit` per-second samples, dropping the oldest (nil: keep all, the default). Open-ended
    /// sessions — the console, a week's soak — would otherwise grow by one sample (a few KB with per-route figures)
    /// every second for as long as they run; `run` has an end and keeps every second for its report.
    public func retainSamples(atMost limit: Int?) {
        state.withLock { s in
            s.sampleLimit = limit.map { max($0, 1) }
            s.trimSamples()
        }
    }

    // MARK: results

    /// The run's result so far (complete once `isFinished`).
    public func result() -> RunResult {
        let now = clock()
        let routeHistograms = driver.routeTotalHistograms()
        return state.withLock { s in
            let final = s.latest ?? Snapshot()
            let end = s.finished ? (s.latest.map { s.startNanos + UInt64($0.elapsedSeconds * 1e9) } ?? now) : now
            let measured = s.phase == .warmup || s.measuringStartNanos == 0 ? 0 : Double(end - s.measuringStartNanos) / 1e9
            var seconds = s.seconds, samples = s.samples
            if let last = seconds.finish() { samples.append(last) }
            let achieved = measured > 0 ? Double(final.load.total.completed) / measured : 0
            return RunResult(
                profile: profile, targetDescription: targetDescription, startedAt: s.startedAt,
                warmupSeconds: profile.warmupSeconds, measuredSeconds: measured, final: final,
                samples: samples, events: s.events, knobValues: knobs?.values ?? [:],
                thresholds: evaluateThresholds(profile.thresholds, load: final.load, achievedRate: achieved),
                routeHistograms: routeHistograms)
        }
    }
}

extension RunSession.State {
    mutating func keep(_ sample: SecondSample) {
        samples.append(sample)
        // Trimmed in batches of an eighth of the limit: one shift of the array per batch, not per second.
        if let limit = sampleLimit, samples.count > limit + max(limit / 8, 1) { trimSamples() }
    }

    mutating func trimSamples() {
        if let limit = sampleLimit, samples.count > limit { samples.removeFirst(samples.count - limit) }
    }
}
