import Testing
@testable import Engine

/// The capacity search against a model target whose latency rises with the rate like a single queue
/// (p99 ≈ service time × ln(100) / (1 − ρ) for M/M/1), with errors once it is over capacity. No real load or clock:
/// the search asks for rates and the model answers.
@Suite struct CapacitySearchTests {
    /// M/M/1 with `capacity` requests/s: the p99 of the sojourn time is ln(100) / (μ − λ).
    static func model(capacity: Double, level: ServiceLevel) -> (Double) -> CapacityStep {
        { rate in
            let over = rate >= capacity
            let p99Seconds = over ? 10 : log(100) / (capacity - rate)
            var step = CapacityStep(offeredRate: rate, achievedRate: over ? capacity : rate, completed: 1000,
                                    errorRate: over ? 0.2 : 0, p50Nanoseconds: UInt64(p99Seconds / 6.6 * 1e9),
                                    p99Nanoseconds: UInt64(p99Seconds * 1e9), dbSecondsPerRequest: 1 / capacity)
            step.miss = level.miss(step)
            return step
        }
    }

    static func search(capacity: Double, level: ServiceLevel, start: Double = 50, max: Double = 100_000) -> CapacitySearch {
        var search = CapacitySearch(startRate: start, maxRate: max)
        let measure = model(capacity: capacity, level: level)
        while let rate = search.nextRate() { search.record(measure(rate)) }
        return search
    }

    @Test func findsTheKneeWithinTheResolution() throws {
        let level = ServiceLevel(p99Seconds: 0.05, maxErrorRate: 0.001)
        // With μ = 1000/s the p99 bound of 50 ms holds while λ ≤ μ − ln(100)/0.05 ≈ 907.9/s.
        let search = Self.search(capacity: 1000, level: level)
        let knee = try #require(search.knee)
        let truth = 1000 - log(100) / 0.05
        #expect(knee.offeredRate <= truth)
        #expect(knee.offeredRate >= truth * (1 - search.resolution * 2))
        #expect(search.steps.count <= search.maxSteps)
        // Climbed by doubling from 50: 50, 100, 200, 400, 800 passed, 1600 missed, then bisection.
        #expect(search.steps.prefix(6).map(\.offeredRate) == [50, 100, 200, 400, 800, 1600])
        #expect(!search.reachedMaxRate)
    }

    @Test func aTargetTooSlowForTheFirstRateIsSearchedDownward() throws {
        let level = ServiceLevel(p99Seconds: 0.5, maxErrorRate: nil)
        let search = Self.search(capacity: 20, level: level)   // knee ≈ 20 − 9.2 = 10.8/s
        let knee = try #require(search.knee)
        #expect(knee.offeredRate < 50)
        #expect(knee.offeredRate <= 20 - log(100) / 0.5)
        #expect(search.steps.first?.passed == false)
    }

    @Test func nothingMeetsAnImpossibleLevel() {
        let search = Self.search(capacity: 1000, level: ServiceLevel(p99Seconds: 0.000_001, maxErrorRate: nil))
        #expect(search.knee == nil)
        #expect(search.steps.allSatisfy { !$0.passed })
        #expect(search.nextRate() == nil)
    }

    @Test func stopsAtTheMaximumRateWhenEverythingPasses() {
        let search = Self.search(capacity: 1_000_000, level: ServiceLevel(p99Seconds: 1, maxErrorRate: nil), max: 500)
        #expect(search.reachedMaxRate)
        #expect(search.knee?.offeredRate == 500)
    }

    @Test func fallingBehindTheOfferedRateIsAMissEvenWithGoodLatency() {
        let level = ServiceLevel(p99Seconds: 1, maxErrorRate: nil)
        let step = CapacityStep(offeredRate: 1000, achievedRate: 800, completed: 8000, errorRate: 0,
                                p50Nanoseconds: 1_000_000, p99Nanoseconds: 2_000_000)
        #expect(level.miss(step)?.contains("achieved") == true)
    }

    @Test func serviceLevelParsesAndNamesWhatIsWrong() throws {
        let level = try ServiceLevel.parse("p99=20ms,errors=0.5%")
        #expect(level.p99Seconds == 0.02)
        #expect(level.maxErrorRate == 0.005)
        #expect(try ServiceLevel.parse("errors=0.001").maxErrorRate == 0.001)
        #expect(throws: ServiceLevelError.self) { try ServiceLevel.parse("p95=20ms") }
        #expect(throws: ServiceLevelError.self) { try ServiceLevel.parse("p99=fast") }
        #expect(throws: ServiceLevelError.self) { try ServiceLevel.parse("") }
    }

    @Test func poolAdviceFollowsLittlesLaw() throws {
        // 2,000 req/s × 2 ms of DB time = 4 connections busy on average; 4 + 3·2 = 10.
        let step = CapacityStep(offeredRate: 2000, achievedRate: 2000, completed: 1, errorRate: 0, p50Nanoseconds: 0,
                                p99Nanoseconds: 0, dbSecondsPerRequest: 0.002)
        let advice = try #require(PoolSizeAdvice(at: step))
        #expect(abs(advice.meanBusyConnections - 4) < 1e-9)
        #expect(advice.poolSize == 10)
        #expect(PoolSizeAdvice(at: CapacityStep(offeredRate: 1, achievedRate: 1, completed: 1, errorRate: 0,
                                                p50Nanoseconds: 0, p99Nanoseconds: 0)) == nil)
    }
}

import Foundation
