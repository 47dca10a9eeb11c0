/// Parses human durations used in profiles and on the command line: "250ms", "10s", "1.5m", "2h", "500us",
/// or a bare number of seconds. Returns seconds, nil when the text is not a duration.
public func parseDurationSeconds(_ text: String) -> Double? {
    let t = text.trimmingCharacters(in: .whitespaces)
    let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("s", 1), ("m", 60), ("h", 3600)]
    for (suffix, scale) in units where t.hasSuffix(suffix) {
        guard let n = Double(t.dropLast(suffix.count)), n.isFinite, n >= 0 else { return nil }
        return n * scale
    }
    guard let n = Double(t), n.isFinite, n >= 0 else { return nil }
    return n
}

/// "1.23 ms", "456 µs", "2.1 s": a latency in nanoseconds for humans, three significant digits.
public func formatLatency(nanoseconds ns: UInt64) -> String {
    let v = Double(ns)
    if v < 1_000 { return "\(ns) ns" }
    if v < 1_000_000 { return threeDigits(v / 1_000) + " µs" }
    if v < 1_000_000_000 { return threeDigits(v / 1_000_000) + " ms" }
    return threeDigits(v / 1_000_000_000) + " s"
}

func threeDigits(_ v: Double) -> String {
    if v >= 100 { return String(Int(v.rounded())) }
    if v >= 10 { return String(format: "%.1f", v) }
    return String(format: "%.2f", v)
}

import Foundation
