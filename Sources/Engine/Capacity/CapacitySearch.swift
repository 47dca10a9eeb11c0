/// One measured rate of a capacity search.
public struct CapacityStep: Sendable, Equatable, Codable {
    public var offeredRate: Double
    public var achievedRate: Double
    public var completed: UInt64
    public var errorRate: Double
    public var p50Nanoseconds: UInt64
    public var p99Nanoseconds: UInt64
    /// Embedded backend only: DB seconds per request at this rate (nil for an external target).
    public var dbSecondsPerRequest: Double?
    /// Why this rate missed the service level; nil when it met it.
    public var miss: String?
    public var passed: Bool { miss == nil }

    public init(offeredRate: Double, achievedRate: Double, completed: UInt64, errorRate: Double, p50Nanoseconds: UInt64,
                p99Nanoseconds: UInt64, dbSecondsPerRequest: Double? = nil, miss: String? = nil) {
        self.offeredRate = offeredRate; self.achievedRate = achievedRate; self.completed = completed
        self.errorRate = errorRate; self.p50Nanoseconds = p50Nanoseconds; self.p99Nanoseconds = p99Nanoseconds
        self.dbSecondsPerRequest = dbSecondsPerRequest; self.miss = miss
    }
}

/// Finds the highest arrival rate that meets a service level: step the rate up geometrically until a step misses,
/// then bisect between the last rate that met it and the first that did not, until the two are within
/// `resolution` of each other. Pure: the caller measures each rate it asks for (real load, or a model in tests).
///
/// Defaults: start 50/s, ×2 per step (few steps to find the order of magnitude), resolution 5% (finer than
/// run-to-run noise on a shared 2-core machine is not worth the time), at most 16 measured steps.
public struct CapacitySearch: Sendable {
    public var startRate: Double
    public var growth: Double
    public var maxRate: Double
    public var resolution: Double
    public var maxSteps: Int
    /// Rates below this are not tried: "nothing meets the service level".
    public var minRate: Double

    /// Every measured step, in the order measured.
    public private(set) var steps: [CapacityStep] = []
    private var highestPass: Double?
    private var lowestFail: Double?

    public init(startRate: Double = 50, growth: Double = 2, maxRate: Double = 100_000, resolution: Double = 0.05,
                maxSteps: Int = 16, minRate: Double = 1) {
        self.startRate = startRate; self.growth = growth; self.maxRate = maxRate
        self.resolution = resolution; self.maxSteps = maxSteps; self.minRate = minRate
    }

    /// The next rate to measure, nil when the search is over.
    public func nextRate() -> Double? {
        guard steps.count < maxSteps else { return nil }
        switch (highestPass, lowestFail) {
        case (nil, nil):
            return startRate
        case (let pass?, nil):
            // Still climbing: up by `growth`, capped; a pass at the cap ends the search.
            return pass >= maxRate ? nil : min(pass * growth, maxRate)
        case (nil, let fail?):
            // Even the first rate missed: halve until one meets the level, or give up below `minRate`.
            let next = fail / growth
            return next < minRate ? nil : next
        case (let pass?, let fail?):
            guard (fail - pass) / fail > resolution else { return nil }
            return ((pass + fail) / 2).rounded()
        }
    }

    /// Records the measurement of the rate `nextRate()` asked for.
    public mutating func record(_ step: CapacityStep) {
        steps.append(step)
        if step.passed {
            highestPass = max(highestPass ?? 0, step.offeredRate)
        } else {
            lowestFail = min(lowestFail ?? .infinity, step.offeredRate)
        }
    }

    /// The highest measured rate that met the service level (the knee), nil when none did.
    public var knee: CapacityStep? {
        steps.filter(\.passed).max { $0.offeredRate < $1.offeredRate }
    }

    /// True when the search stopped at `maxRate` with every step passing: capacity is at least that.
    public var reachedMaxRate: Bool { lowestFail == nil && (highestPass ?? 0) >= maxRate }

    /// Steps sorted by offered rate, for the curve.
    public var curve: [CapacityStep] { steps.sorted { $0.offeredRate < $1.offeredRate } }
}

/// Little's law for the database: the mean number of connections busy is L = λ × W, the request rate times the DB
/// time per request. A pool should hold that mean plus room for Poisson bursts: L + 3√L covers a Poisson-distributed
/// concurrency 99.9% of the time for L ≥ ~2 (and at least one connection). Capped at the pool knob's range.
public struct PoolSizeAdvice: Sendable, Equatable {
    public var rate: Double
    public var dbSecondsPerRequest: Double
    public var meanBusyConnections: Double
    public var poolSize: Int

    public init?(at step: CapacityStep, range: ClosedRange<Int> = 1...64) {
        guard let w = step.dbSecondsPerRequest, step.achievedRate > 0 else { return nil }
        rate = step.achievedRate
        dbSecondsPerRequest = w
        meanBusyConnections = rate * w
        let wanted = Int((meanBusyConnections + 3 * meanBusyConnections.squareRoot()).rounded(.up))
        poolSize = min(max(wanted, range.lowerBound), range.upperBound)
    }

    public var explanation: String {
        "Little's law: L = λ × W = \(threeDigits(rate))/s × \(formatLatency(nanoseconds: UInt64(dbSecondsPerRequest * 1e9))) " +
        "DB time per request = \(threeDigits(meanBusyConnections)) connections busy on average; " +
        "L + 3√L for bursts → pool_size \(poolSize)"
    }
}
