import DemoBackend
import Foundation
import Metrics

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
        let memory = ProcessMemory.read()
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
        return ProcessSample(t: t, rssBytes: memory?.rssBytes ?? 0, rssAnonBytes: memory?.rssAnonBytes ?? 0,
                             fileDescriptors: fds, threads: threads)
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
/// - Leak verdict: the backend's own `LeakDetector` (threshold 16 KiB/s ≈ 1 MiB a minute, fit R² ≥ 0.5) over
///   anonymous RSS sampled every `memoryIntervalSeconds`, the whole run in its window; the first
///   `leakWarmUpFraction` of the run (at most 2 minutes: allocator and caches fill, then stop) is its warm-up.
/// - Descriptors and threads: growing by more than a small slack over the run is a leak too.
/// - Error rate: every window at most `maxErrorRate`.
/// - p99 drift: the last window's p99 at most `maxP99Drift` × the first window's (a backend that slows down as it
///   runs — fragmentation, growing tables, a queue that never drains).
public struct SoakJudge: Sendable, Equatable {
    public var maxErrorRate = 0.01
    public var maxP99Drift = 2.0
    public var leakWarmUpFraction = 0.2
    public var leakWarmUpLimitSeconds = 120.0
    public var fileDescriptorSlack = 16.0
    public var threadSlack = 8.0
    public init() {}

    /// At most this many memory samples a run (a week's soak samples every 3 minutes; 10 minutes, every second).
    public static let maxMemorySamples = 3600.0
    /// Seconds between memory samples for a soak of `durationSeconds`.
    public static func memoryIntervalSeconds(durationSeconds: Double) -> Double { max(1, (durationSeconds / maxMemorySamples).rounded(.up)) }

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

    /// The detector's rule for a run spanning `spanSeconds`: its defaults, the warm-up scaled to the run, and a
    /// window holding every sample.
    public func leakRule(spanSeconds: Double, samples: Int) -> LeakDetector.Configuration {
        var c = LeakDetector.Configuration()
        c.warmUpSeconds = min(leakWarmUpLimitSeconds, leakWarmUpFraction * spanSeconds)
        c.windowSamples = max(samples, 1)
        return c
    }

    /// The leak detector's reading of anonymous RSS over the run.
    public func leak(_ memory: [MemorySample]) -> LeakAssessment {
        let span = (memory.last?.t ?? 0) - (memory.first?.t ?? 0)
        return LeakDetector.assess(memory.lazy.map { ($0.t, Double($0.rssAnonBytes)) },
                                   configuration: leakRule(spanSeconds: span, samples: memory.count))
    }

    public func judge(samples: [ProcessSample], memory: [MemorySample], windows: [SoakWindow]) -> [Outcome] {
        var out: [Outcome] = []
        let leak = leak(memory)
        let rule = leakRule(spanSeconds: 0, samples: 0)
        let measured = leak.verdict == .collecting
            ? "no verdict: \(leak.samples) samples over \(Int(leak.spanSeconds)) s after warm-up (needs \(rule.minimumSamples) over \(Int(rule.minimumSpanSeconds)) s)"
            : leak.verdict.rawValue + String(format: ", anon RSS %+.1f MB/min (fit %.2f)", leak.slopeBytesPerSecond * 60 / 1_048_576, leak.fit)
        out.append(Outcome(name: "memory (leak verdict)", passed: leak.verdict == .flat, measured: measured,
                           required: String(format: "flat: slope < %.0f KiB/s or fit < %.1f (LeakDetector)",
                                            rule.growthThresholdBytesPerSecond / 1024, rule.minimumFit)))
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
