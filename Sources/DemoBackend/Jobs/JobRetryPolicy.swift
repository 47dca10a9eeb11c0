/// When a failed job runs again, and when it is given up: exponential backoff with "full jitter" (AWS Architecture
/// Blog, "Exponential Backoff And Jitter": a uniformly random delay up to the exponential cap spreads retries of jobs
/// that failed together, so they do not fail together again).
struct JobRetryPolicy: Sendable, Equatable {
    /// Attempts before a job is dead (the first run included). Default 5: Sidekiq's 25 retries span three weeks,
    /// far beyond a demo run; 5 attempts with these delays give up within about a minute.
    var maxAttempts = 5
    /// The cap of the delay after the first failure. Default 1 s.
    var baseDelayNanoseconds: UInt64 = 1_000_000_000
    /// No delay exceeds this. Default 30 s.
    var maxDelayNanoseconds: UInt64 = 30_000_000_000

    init(maxAttempts: Int = 5, baseDelayNanoseconds: UInt64 = 1_000_000_000,
         maxDelayNanoseconds: UInt64 = 30_000_000_000) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelayNanoseconds = baseDelayNanoseconds
        self.maxDelayNanoseconds = maxDelayNanoseconds
    }

    /// After attempt `attempts` (1-based) failed: nil when the job is dead, else the delay before the next attempt,
    /// `random` (0..<1) times min(max delay, base × 2^(attempts − 1)).
    func nextDelay(afterAttempt attempts: Int, random: Double) -> UInt64? {
        guard attempts < maxAttempts else { return nil }
        let exponent = min(max(0, attempts - 1), 32)
        let (scaled, overflow) = baseDelayNanoseconds.multipliedReportingOverflow(by: 1 << UInt64(exponent))
        let cap = overflow ? maxDelayNanoseconds : min(scaled, maxDelayNanoseconds)
        return UInt64(Double(cap) * min(max(random, 0), 1))
    }
}
