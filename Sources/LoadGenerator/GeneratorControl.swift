// Live control shared by the console thread and the worker loops: an atomic generation plus a small locked state.
import Synchronization

/// The control settings the workers follow.
struct ControlState: Sendable {
    var paused = false
    /// Open model: the epoch in force from `switchAt` on (nil schedule while paused).
    var epoch: ScheduleEpoch?
    var switchAt: UInt64 = 0
    /// Open model: the latest schedule changes, numbered, so a worker that was busy during several (pause then
    /// resume within one loop turn) applies each in order instead of only the last.
    var changes: [(number: Int, epoch: ScheduleEpoch, at: UInt64)] = []
    var changeCount = 0
    /// Open model: the schedule to resume with, and when the pause began.
    var resumeSchedule: ArrivalSchedule?
    var resumeOrigin: UInt64 = 0
    var pausedAt: UInt64 = 0
    /// Closed model: how many users should be active in total.
    var users = 0
}

/// Written by control calls (rarely), read by workers when `generation` changes (a relaxed load per loop turn).
final class GeneratorControl: Sendable {
    let stopRequested = Atomic<Bool>(false)
    let generation = Atomic<UInt64>(0)
    let state: Mutex<ControlState>

    init(_ initial: ControlState) {
        state = Mutex(initial)
    }

    /// Applies `change` and bumps the generation so workers re-read the state.
    func update(_ change: (inout ControlState) -> Void) {
        state.withLock { change(&$0) }
        generation.wrappingAdd(1, ordering: .releasing)
    }

    func read() -> ControlState { state.withLock { $0 } }
}

extension ControlState {
    /// Records an open-model schedule change effective at `at` (keeps the last 16).
    mutating func changeEpoch(to epoch: ScheduleEpoch, at time: UInt64) {
        self.epoch = epoch
        switchAt = time
        changeCount += 1
        changes.append((changeCount, epoch, time))
        if changes.count > 16 { changes.removeFirst(changes.count - 16) }
    }
}
