import Testing
@testable import LoadGenerator

private let ms: UInt64 = 1_000_000
private let second: UInt64 = 1_000_000_000

@Suite struct ArrivalScheduleTests {
    @Test func constantRateSendsAtExactIntervals() throws {
        let schedule = try ArrivalSchedule.constant(100)
        let times = schedule.intendedSendTimes(in: 0..<second)
        #expect(times.count == 100)
        #expect(times.first == 0)
        #expect(times[1] == 10 * ms)
        #expect(times.last == 990 * ms)
        #expect(schedule.intendedSendTimes(in: 5 * second..<6 * second).count == 100)
        #expect(schedule.nextSendTime(after: 0) == 10 * ms)
        #expect(schedule.nextSendTime(after: 15 * ms) == 20 * ms)
        #expect(schedule.firstIndex(atOrAfter: 20 * ms) == 2)
    }

    @Test func rampCountsFollowTheIntegralOfTheRate() throws {
        // 0 → 200 rps over 2 s: rate(t) = 100·t, so N(t) = ∫ rate = 50·t² (t in s).
        let schedule = try ArrivalSchedule.ramp(from: 0, to: 200, over: .seconds(2))
        #expect(schedule.intendedSendTimes(in: 0..<second).count == 50)           // N(1) = 50
        #expect(schedule.intendedSendTimes(in: second..<2 * second).count == 150) // N(2) - N(1) = 150
        #expect(schedule.intendedSendTimes(in: 2 * second..<3 * second).count == 200) // holds 200 afterwards
        #expect(schedule.rate(at: second) == 100)
        // Gaps shrink as the rate rises.
        let times = schedule.intendedSendTimes(in: 0..<2 * second)
        #expect(times[1] - times[0] > times[times.count - 1] - times[times.count - 2])
    }

    @Test func stepsChangeRateAtEachBoundary() throws {
        let schedule = try ArrivalSchedule.steps([(rate: 10, duration: .seconds(1)), (rate: 50, duration: .seconds(1)),
                                                  (rate: 20, duration: .seconds(1))])
        #expect(schedule.intendedSendTimes(in: 0..<second).count == 10)
        #expect(schedule.intendedSendTimes(in: second..<2 * second).count == 50)
        #expect(schedule.intendedSendTimes(in: 2 * second..<3 * second).count == 20)
        #expect(schedule.intendedSendTimes(in: 3 * second..<4 * second).count == 20)   // the last step holds
        #expect(schedule.intendedSendTimes(in: second..<2 * second).first == second)
    }

    @Test func spikeAddsABurstAtItsTime() throws {
        let schedule = try ArrivalSchedule.spike(base: 10, spikeRate: 1000, at: .seconds(2), duration: .milliseconds(500))
        #expect(schedule.intendedSendTimes(in: 0..<2 * second).count == 20)
        #expect(schedule.intendedSendTimes(in: 2 * second..<2 * second + 500 * ms).count == 500)
        #expect(schedule.intendedSendTimes(in: 2 * second + 500 * ms..<3 * second + 500 * ms).count == 10)
        #expect(schedule.rate(at: 2 * second + 100 * ms) == 1000)
        #expect(schedule.rate(at: 5 * second) == 10)
    }

    @Test func zeroRateMeansNoArrivalsAndInvalidSegmentsAreRejected() throws {
        let idle = try ArrivalSchedule.constant(0)
        #expect(idle.arrivalTime(ofIndex: 0) == nil)
        #expect(idle.nextSendTime(after: 0) == nil)
        #expect(idle.intendedSendTimes(in: 0..<second).isEmpty)
        #expect(throws: LoadPlanError.self) { _ = try ArrivalSchedule.constant(-1) }
        #expect(throws: LoadPlanError.self) {
            _ = try ArrivalSchedule(segments: [.init(seconds: .nan, fromRate: 1, toRate: 1)])
        }
    }
}
