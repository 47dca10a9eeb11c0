// Which open-model arrivals one worker owns, and which are due now: a pure state machine over a clock value.

/// An arrival schedule placed on the run's clock, from a given arrival index on.
struct ScheduleEpoch: Sendable, Equatable {
    /// nil while paused: nothing is due.
    var schedule: ArrivalSchedule?
    /// Clock time (ns) of the schedule's t = 0.
    var origin: UInt64
    /// First arrival index of `schedule` that belongs to this epoch (earlier ones were before a pause).
    var startIndex: Int
}

/// Hands out one worker's share of the open-model arrivals in order: lane `lane` of `lanes` owns arrival indices
/// n with n % lanes == lane, so the workers together send exactly the schedule.
///
/// Arrivals are never dropped: when the worker cannot send (all connections busy), the due arrivals wait here —
/// only as a cursor into the schedule, so a backlog costs no memory — and `takeDue` returns them back to back as
/// soon as the worker asks again. Each keeps its intended time, so latency measured from it includes the wait
/// (coordinated-omission correction). How late the oldest waiting arrival is (`lag`) is the generator's lag.
///
/// Schedule changes (pause, resume, new rate) take effect at a clock time: arrivals of the current epoch due
/// before that time are still sent (late ones included), later ones come from the new epoch.
struct OpenDispatcher: Sendable {
    let lane: Int
    let lanes: Int
    private var current: ScheduleEpoch
    private var nextIndex = 0
    /// Absolute intended time of `nextIndex`, nil when the current epoch has no more arrivals.
    private(set) var nextIntendedTime: UInt64?
    private var pending: ScheduleEpoch?
    private var switchAt = UInt64.max

    init(epoch: ScheduleEpoch, lane: Int, lanes: Int) {
        precondition(lanes > 0 && (0..<lanes).contains(lane))
        self.lane = lane
        self.lanes = lanes
        current = epoch
        enter(epoch)
    }

    /// The intended time of the next arrival if it is due at `now` (consuming it), else nil.
    mutating func takeDue(now: UInt64) -> UInt64? {
        guard let time = nextIntendedTime, time <= now else { return nil }
        advance()
        return time
    }

    /// Whether an arrival is due at `now` (without consuming it).
    func hasDue(now: UInt64) -> Bool {
        guard let time = nextIntendedTime else { return false }
        return time <= now
    }

    /// How late (ns) the oldest arrival not yet taken is at `now`; 0 when none is due.
    func lag(now: UInt64) -> UInt64 {
        guard let time = nextIntendedTime, time < now else { return 0 }
        return now - time
    }

    /// How many of this lane's arrivals are due at `now` and not taken yet: the generator's queue of requests
    /// waiting for a free connection (0 when none is due). Counts the current epoch up to a pending switch.
    func backlog(now: UInt64) -> Int {
        guard let first = nextIntendedTime, first <= now, let schedule = current.schedule else { return 0 }
        let until = max(first, pending == nil ? now : min(now, switchAt &- 1))
        // Indices below `end` are due at or before `until`; this lane owns every `lanes`-th from `nextIndex`.
        let end = schedule.firstIndex(atOrAfter: until - current.origin + 1)
        return max(1, (end - nextIndex + lanes - 1) / lanes)
    }

    /// Switches to `epoch` for arrivals due at or after `time`. With a change already pending, the earlier
    /// switch time stays and the newer epoch replaces the pending one.
    mutating func change(to epoch: ScheduleEpoch, at time: UInt64) {
        if pending == nil { switchAt = time }
        pending = epoch
        if nextIntendedTime.map({ $0 >= switchAt }) ?? true { switchToPending() }
    }

    private mutating func advance() {
        nextIndex += lanes
        nextIntendedTime = time(ofIndex: nextIndex)
        if pending != nil, nextIntendedTime.map({ $0 >= switchAt }) ?? true { switchToPending() }
    }

    private mutating func switchToPending() {
        guard let next = pending else { return }
        pending = nil
        switchAt = .max
        current = next
        enter(next)
    }

    private mutating func enter(_ epoch: ScheduleEpoch) {
        let start = max(0, epoch.startIndex)
        nextIndex = start + ((lane - start % lanes) + lanes) % lanes
        nextIntendedTime = time(ofIndex: nextIndex)
    }

    private func time(ofIndex index: Int) -> UInt64? {
        guard let schedule = current.schedule, let t = schedule.arrivalTime(ofIndex: index) else { return nil }
        return current.origin &+ t
    }
}
