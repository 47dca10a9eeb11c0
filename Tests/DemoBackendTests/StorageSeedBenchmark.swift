import Foundation
import Testing
import DemoBackend

/// Seeds a full-size (scale 1.0) database and prints the time and file size. Off by default (it takes seconds and
/// hundreds of MB); run by hand in release mode:
///
///     DYNO_SEED_BENCHMARK=1 swift test -c release --filter StorageSeedBenchmark
///
/// (CPU time is printed too: wall time on a shared 2-core machine varies with what else runs.)
@Suite("Storage: seeding benchmark", .enabled(if: ProcessInfo.processInfo.environment["DYNO_SEED_BENCHMARK"] != nil))
struct StorageSeedBenchmark {
    @Test func seedFullScale() throws {
        // DYNO_SEED_BENCHMARK_DIR keeps the database for inspection (it must not exist yet).
        let kept = ProcessInfo.processInfo.environment["DYNO_SEED_BENCHMARK_DIR"]
        let directory = kept ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("dyno-seed-bench-\(getpid())")
        defer { if kept == nil { try? FileManager.default.removeItem(atPath: directory) } }
        var lastPhase = ""
        let start = ContinuousClock.now
        let file = try DataDirectory(path: directory).openOrSeed(hashPassword: { "bench:\($0)" }) { progress in
            if progress.phase != lastPhase {
                print("seeding: \(progress.phase) (\(progress.total)) starts at \(ContinuousClock.now - start)")
                lastPhase = progress.phase
            }
        }
        #expect(file.seededNow)
        #expect(file.counts.articles == 100_000)
        let seconds = Double(file.seedingDuration!.components.seconds)
            + Double(file.seedingDuration!.components.attoseconds) / 1e18
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        // CPU time is the steadier figure on a shared, noisy machine.
        print("seeded in \(String(format: "%.2f", seconds)) s wall, \(String(format: "%.2f", cpu)) s CPU (process): \(file.counts); file \(file.sizeBytes / 1_048_576) MiB")
        let reopenStart = ContinuousClock.now
        let reopened = try DataDirectory(path: directory).openOrSeed(hashPassword: { "bench:\($0)" })
        #expect(!reopened.seededNow)
        print("reopened in \(ContinuousClock.now - reopenStart)")
    }
}
