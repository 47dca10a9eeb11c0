import Foundation

/// What a rate must meet to count as sustainable (`dyno capacity --slo p99=50ms,errors=0.1%`).
public struct ServiceLevel: Sendable, Equatable {
    /// Corrected p99 latency at most this (seconds); nil: no latency bound.
    public var p99Seconds: Double?
    /// Error rate at most this fraction; nil: no error bound.
    public var maxErrorRate: Double?
    /// Achieved rate at least this fraction of the offered rate: below it the target is falling behind (requests
    /// queue up), whatever the latency of those that finish. Default 0.95.
    public var minAchievedFraction: Double = 0.95

    public init(p99Seconds: Double? = 0.05, maxErrorRate: Double? = 0.001) {
        self.p99Seconds = p99Seconds
        self.maxErrorRate = maxErrorRate
    }

    /// Parses "p99=50ms,errors=0.1%" (either part may be left out; errors also as a fraction, "errors=0.001").
    public static func parse(_ text: String) throws(ServiceLevelError) -> ServiceLevel {
        var slo = ServiceLevel(p99Seconds: nil, maxErrorRate: nil)
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else { throw ServiceLevelError("expected name=value, got \"\(part)\"") }
            switch kv[0] {
            case "p99":
                guard let s = parseDurationSeconds(kv[1]), s > 0 else {
                    throw ServiceLevelError("p99: expected a duration like 50ms, got \"\(kv[1])\"")
                }
                slo.p99Seconds = s
            case "errors":
                let percent = kv[1].hasSuffix("%")
                guard let v = Double(percent ? String(kv[1].dropLast()) : kv[1]), v >= 0 else {
                    throw ServiceLevelError("errors: expected a rate like 0.1% or 0.001, got \"\(kv[1])\"")
                }
                slo.maxErrorRate = percent ? v / 100 : v
            default:
                throw ServiceLevelError("unknown objective \"\(kv[0])\" (known: p99, errors)")
            }
        }
        guard slo.p99Seconds != nil || slo.maxErrorRate != nil else { throw ServiceLevelError("no objective given") }
        return slo
    }

    public var description: String {
        var parts: [String] = []
        if let p = p99Seconds { parts.append("p99 ≤ " + formatLatency(nanoseconds: UInt64(p * 1e9))) }
        if let e = maxErrorRate { parts.append("errors ≤ " + percent(e)) }
        parts.append("achieved ≥ " + percent(minAchievedFraction) + " of offered")
        return parts.joined(separator: ", ")
    }

    /// Why `step` misses this level, nil when it meets it.
    public func miss(_ step: CapacityStep) -> String? {
        if step.completed == 0 { return "no responses" }
        if let p = p99Seconds, Double(step.p99Nanoseconds) > p * 1e9 {
            return "p99 " + formatLatency(nanoseconds: step.p99Nanoseconds) + " > " + formatLatency(nanoseconds: UInt64(p * 1e9))
        }
        if let e = maxErrorRate, step.errorRate > e { return "errors " + percent(step.errorRate) + " > " + percent(e) }
        // Two requests of slack: those in flight at either edge of a short window are not a shortfall.
        let seconds = step.achievedRate > 0 ? Double(step.completed) / step.achievedRate : 0
        if step.achievedRate < minAchievedFraction * step.offeredRate,
           Double(step.completed) < minAchievedFraction * step.offeredRate * seconds - 2 {
            return "achieved \(threeDigits(step.achievedRate))/s < \(percent(minAchievedFraction)) of offered"
        }
        return nil
    }
}

public struct ServiceLevelError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
