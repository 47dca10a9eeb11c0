import Foundation

/// What `dyno soak` samples of the process every check period (embedded runs: the backend and the load generator
/// share the process, so the generator's own memory is in these figures too).
public struct ProcessSample: Sendable, Equatable, Codable {
    /// Seconds since the soak started measuring.
    public var t: Double
    public var rssBytes: UInt64
    /// Anonymous resident memory (heap, stacks): what grows when something leaks. File-backed pages (the database's
    /// mapped pages) come and go with the cache and are not a leak.
    public var rssAnonBytes: UInt64
    public var fileDescriptors: Int
    public var threads: Int

    public init(t: Double, rssBytes: UInt64, rssAnonBytes: UInt64, fileDescriptors: Int, threads: Int) {
        self.t = t; self.rssBytes = rssBytes; self.rssAnonBytes = rssAnonBytes
        self.fileDescriptors = fileDescriptors; self.threads = threads
    }

    /// This process now, from /proc/self (Linux); zeros where unreadable.
    public static func current(at t: Double) -> ProcessSample {
        var rss: UInt64 = 0, anon: UInt64 = 0, threads = 0
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                guard parts.count >= 2, let v = UInt64(parts[1]) else { continue }
                switch parts[0] {
                case "VmRSS:": rss = v * 1024
                case "RssAnon:": anon = v * 1024
                case "Threads:": threads = Int(v)
                default: break
                }
            }
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return ProcessSample(t: t, rssBytes: rss, rssAnonBytes: anon, fileDescriptors: fds, threads: threads)
    }
}

/// The load's figures over one check period.
public struct SoakWindow: Sendable, Equatable, Codable {
    /// Seconds since measuring started, at the window's end.
    public var t: Double
    public var completed: UInt64
    public var errorRate: Double
    public var p99Nanoseconds: UInt64
    public init(t: Double, completed: UInt64, errorRate: Double, p99Nanoseconds: UInt64) {
        self.t = t; self.completed = completed; self.errorRate = errorRate; self.p99Nanoseconds = p99Nanoseconds
    }
}

/// Judges a soak from its samples and windows. Pure: unit-tested on fixed series.
///
/// - Leak verdict: the least-squares slope of anonymous RSS over the run. `growing` when the growth it predicts over
///   the run exceeds both `memoryGrowthFloorBytes` and `memoryGrowthFraction` of the first sample (allocator and
///   cache warm-up grow a few MB and stop); `flat` otherwise; `unknown` with fewer than 3 samples.
/// - Descriptors and threads: growing by more than a small slack over the run is a leak too.
/// - Error rate: every window at most `maxErrorRate`.
/// - p99 drift: the last window's p99 at most `maxP99Drift` × the first window's (a backend that slows down as it
///   runs — fragmentation, growing tables, a queue that never drains).
public struct SoakJudge: Sendable, Equatable {
    public var maxErrorRate = 0.01
    public var maxP99Drift = 2.0
    public var memoryGrowthFloorBytes: Double = 32 * 1024 * 1024
    public var memoryGrowthFraction = 0.2
    public var fileDescriptorSlack = 16.0
    public var threadSlack = 8.0
    public init() {}

    public enum LeakVerdict: String, Sendable, Codable { case flat, growing, unknown }

    public struct Outcome: Sendable, Equatable {
        public var name: String
        public var passed: Bool
        public var measured: String
        public var required: String
    }

    /// Least-squares slope of `ys` against `xs` (units of y per unit of x); nil with fewer than 2 distinct xs.
    public static func slope(_ xs: [Double], _ ys: [Double]) -> Double? {
        guard xs.count == ys.count, xs.count >= 2 else { return nil }
        let n = Double(xs.count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, ys) { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx) }
        return sxx > 0 ? sxy / sxx : nil
    }

    /// Memory slope (bytes per second of anonymous RSS) and the verdict.
    public func leak(_ samples: [ProcessSample]) -> (slope: Double?, verdict: LeakVerdict) {
        guard samples.count >= 3, let s = Self.slope(samples.map(\.t), samples.map { Double($0.rssAnonBytes) }) else {
            return (nil, .unknown)
        }
        let span = samples.last!.t - samples.first!.t
        let growth = s * span
        let limit = max(memoryGrowthFloorBytes, memoryGrowthFraction * Double(samples.first!.rssAnonBytes))
        return (s, growth > limit ? .growing : .flat)
    }

    public func judge(samples: [ProcessSample], windows: [SoakWindow]) -> [Outcome] {
        var out: [Outcome] = []
        let (slope, verdict) = leak(samples)
        let perMinute = slope.map { String(format: "%+.1f MB/min", $0 * 60 / 1_048_576) } ?? "too few samples"
        out.append(Outcome(name: "memory (leak verdict)", passed: verdict != .growing,
                           measured: "\(verdict.rawValue), anon RSS \(perMinute)",
                           required: String(format: "flat: growth ≤ max(%.0f MB, %.0f%% of the start)",
                                            memoryGrowthFloorBytes / 1_048_576, memoryGrowthFraction * 100)))
        func growth(_ values: [Double]) -> Double {
            guard let s = Self.slope(samples.map(\.t), values), let first = samples.first, let last = samples.last else { return 0 }
            return s * (last.t - first.t)
        }
        let fdGrowth = growth(samples.map { Double($0.fileDescriptors) })
        out.append(Outcome(name: "file descriptors", passed: fdGrowth <= fileDescriptorSlack,
                           measured: String(format: "%+.0f over the run", fdGrowth), required: String(format: "≤ +%.0f", fileDescriptorSlack)))
        let threadGrowth = growth(samples.map { Double($0.threads) })
        out.append(Outcome(name: "threads", passed: threadGrowth <= threadSlack,
                           measured: String(format: "%+.0f over the run", threadGrowth), required: String(format: "≤ +%.0f", threadSlack)))
        let worst = windows.map(\.errorRate).max() ?? 0
        out.append(Outcome(name: "error rate", passed: !windows.isEmpty && worst <= maxErrorRate,
                           measured: windows.isEmpty ? "no windows" : String(format: "worst window %.2f%%", worst * 100),
                           required: String(format: "≤ %.2f%% in every window", maxErrorRate * 100)))
        let measuredWindows = windows.filter { $0.completed > 0 }
        if let first = measuredWindows.first, let last = measuredWindows.last, first.p99Nanoseconds > 0 {
            let drift = Double(last.p99Nanoseconds) / Double(first.p99Nanoseconds)
            out.append(Outcome(name: "p99 drift", passed: drift <= maxP99Drift,
                               measured: String(format: "%.2f× (%.1f → %.1f ms)", drift, Double(first.p99Nanoseconds) / 1e6,
                                                Double(last.p99Nanoseconds) / 1e6),
                               required: String(format: "last window ≤ %.1f× the first", maxP99Drift)))
        } else {
            out.append(Outcome(name: "p99 drift", passed: false, measured: "no responses", required: "responses in every window"))
        }
        return out
    }
}
