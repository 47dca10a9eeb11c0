import Testing
@testable import LoadGenerator

private let ms: UInt64 = 1_000_000
private let second: UInt64 = 1_000_000_000

@Suite struct OpenDispatcherTests {
    @Test func lanesPartitionTheScheduleExactly() throws {
        let schedule = try ArrivalSchedule.constant(1000)
        let epoch = ScheduleEpoch(schedule: schedule, origin: 5 * second, startIndex: 0)
        var all: [UInt64] = []
        for lane in 0..<3 {
            var d = OpenDispatcher(epoch: epoch, lane: lane, lanes: 3)
            while let t = d.takeDue(now: 6 * second - 1) { all.append(t) }
        }
        let expected = schedule.intendedSendTimes(in: 0..<second).map { $0 + 5 * second }
        #expect(all.sorted() == expected)
        #expect(all.count == 1000)
    }

    /// A virtual-time run of one worker with a single connection: the server takes 50 ms for the first request and
    /// 1 ms for the others. Requests due while the connection is busy are not dropped: they go out back to back
    /// when it frees, each keeping its intended time, so its corrected latency includes the wait.
    @Test func lateResponseQueuesDueRequestsAndCatchUpKeepsIntendedTimes() throws {
        let schedule = try ArrivalSchedule.constant(100)           // every 10 ms
        var dispatcher = OpenDispatcher(epoch: ScheduleEpoch(schedule: schedule, origin: 0, startIndex: 0),
                                        lane: 0, lanes: 1)
        struct Sent { var intended: UInt64; var sentAt: UInt64; var doneAt: UInt64 }
        var sent: [Sent] = []
        var now: UInt64 = 0
        var connectionFreeAt: UInt64 = 0
        var maxLag: UInt64 = 0
        while sent.count < 12 {
            // The connection is free at `connectionFreeAt`; the worker wakes then or at the next arrival.
            now = max(now, connectionFreeAt)
            maxLag = max(maxLag, dispatcher.lag(now: now))
            if let intended = dispatcher.takeDue(now: now) {
                let service: UInt64 = sent.isEmpty ? 50 * ms : 1 * ms
                sent.append(Sent(intended: intended, sentAt: now, doneAt: now + service))
                connectionFreeAt = now + service
            } else {
                now = dispatcher.nextIntendedTime!
            }
        }
        // Arrivals at 10, 20, 30, 40, 50 ms were due while the first request was out: they go at 50, 51, 52, … ms.
        #expect(sent.map(\.intended) == (0..<12).map { UInt64($0) * 10 * ms })
        #expect(sent[1].sentAt == 50 * ms && sent[2].sentAt == 51 * ms && sent[5].sentAt == 54 * ms)
        // Corrected latency counts from the intended time: request 1 waited 40 ms before it could be sent.
        let corrected = sent.map { $0.doneAt - $0.intended }
        let service = sent.map { $0.doneAt - $0.sentAt }
        #expect(corrected[1] == 41 * ms)
        #expect(service[1] == 1 * ms)
        #expect(corrected[5] == 5 * ms)
        // Caught up by request 6 (intended 60 ms, sent on time).
        #expect(sent[6].sentAt == 60 * ms && corrected[6] == 1 * ms)
        #expect(maxLag == 40 * ms)
    }

    @Test func pauseEpochStopsArrivalsAndResumeContinuesWithoutABurst() throws {
        let schedule = try ArrivalSchedule.constant(100)
        var d = OpenDispatcher(epoch: ScheduleEpoch(schedule: schedule, origin: 0, startIndex: 0), lane: 0, lanes: 1)
        var taken: [UInt64] = []
        while let t = d.takeDue(now: 95 * ms) { taken.append(t) }
        #expect(taken.count == 10)                                   // 0…90 ms
        // Pause at 100 ms; resume at 300 ms shifting the schedule by the 200 ms pause.
        d.change(to: ScheduleEpoch(schedule: nil, origin: 100 * ms, startIndex: 0), at: 100 * ms)
        #expect(d.takeDue(now: 100 * ms) == nil)
        #expect(d.takeDue(now: 250 * ms) == nil)
        d.change(to: ScheduleEpoch(schedule: schedule, origin: 200 * ms,
                                   startIndex: schedule.firstIndex(atOrAfter: 100 * ms)), at: 300 * ms)
        var after: [UInt64] = []
        while let t = d.takeDue(now: 330 * ms) { after.append(t) }
        #expect(after == [300 * ms, 310 * ms, 320 * ms, 330 * ms])
    }

    @Test func pauseAndResumeSeenTogetherStillSkipThePausedStretch() throws {
        // A busy worker may only look at the control after both the pause (100 ms) and the resume (300 ms).
        let schedule = try ArrivalSchedule.constant(100)
        var d = OpenDispatcher(epoch: ScheduleEpoch(schedule: schedule, origin: 0, startIndex: 0), lane: 0, lanes: 1)
        while d.takeDue(now: 50 * ms) != nil {}
        d.change(to: ScheduleEpoch(schedule: nil, origin: 100 * ms, startIndex: 0), at: 100 * ms)
        d.change(to: ScheduleEpoch(schedule: schedule, origin: 200 * ms,
                                   startIndex: schedule.firstIndex(atOrAfter: 100 * ms)), at: 300 * ms)
        var taken: [UInt64] = []
        while let t = d.takeDue(now: 320 * ms) { taken.append(t) }
        // 60…90 ms were due before the pause; then the resumed schedule from 300 ms.
        #expect(taken == [60, 70, 80, 90, 300, 310, 320].map { $0 * ms })
    }

    @Test func rateChangeKeepsLateArrivalsOfTheOldScheduleThenSwitches() throws {
        let slow = try ArrivalSchedule.constant(10)     // every 100 ms
        let fast = try ArrivalSchedule.constant(1000)   // every 1 ms
        var d = OpenDispatcher(epoch: ScheduleEpoch(schedule: slow, origin: 0, startIndex: 0), lane: 0, lanes: 1)
        #expect(d.takeDue(now: 0) == 0)
        // Change at 250 ms while the 100 and 200 ms arrivals are still waiting: they are sent first.
        d.change(to: ScheduleEpoch(schedule: fast, origin: 250 * ms, startIndex: 0), at: 250 * ms)
        #expect(d.takeDue(now: 252 * ms) == 100 * ms)
        #expect(d.takeDue(now: 252 * ms) == 200 * ms)
        #expect(d.takeDue(now: 252 * ms) == 250 * ms)
        #expect(d.takeDue(now: 252 * ms) == 251 * ms)
        #expect(d.takeDue(now: 252 * ms) == 252 * ms)
        #expect(d.takeDue(now: 252 * ms) == nil)
    }

    /// The generator's queue: arrivals due and not taken, counted per lane without walking them.
    @Test func backlogCountsDueArrivalsNotTakenYet() throws {
        let schedule = try ArrivalSchedule.constant(1000)          // every 1 ms
        var d = OpenDispatcher(epoch: ScheduleEpoch(schedule: schedule, origin: 0, startIndex: 0), lane: 0, lanes: 1)
        #expect(d.backlog(now: 0) == 1)                            // arrival 0 is due at t = 0
        #expect(d.backlog(now: 10 * ms) == 11)                     // 0 ms … 10 ms
        _ = d.takeDue(now: 10 * ms); _ = d.takeDue(now: 10 * ms)
        #expect(d.backlog(now: 10 * ms) == 9)
        while d.takeDue(now: 10 * ms) != nil {}
        #expect(d.backlog(now: 10 * ms) == 0)
        // Three lanes share the arrivals: each has its third.
        let lane1 = OpenDispatcher(epoch: ScheduleEpoch(schedule: schedule, origin: 0, startIndex: 0), lane: 1, lanes: 3)
        #expect(lane1.backlog(now: 30 * ms) == 10)                 // indices 1, 4, …, 28 (≤ 30 ms)
    }
}
