// Waiting on a condition with a deadline, instead of sleeping for a guessed duration.
import Glibc

/// Polls `condition` until it returns true or `deadline` elapses; returns whether it became true.
///
/// Tests use this instead of fixed sleeps: the wait ends as soon as the condition holds, and the
/// deadline only bounds a failing test. Polls every `interval` (default 2 ms).
public func waitUntil(
    deadline: Duration = .seconds(5),
    interval: Duration = .milliseconds(2),
    condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: deadline)
    while true {
        if try await condition() { return true }
        if clock.now >= end { return false }
        try? await Task.sleep(for: interval)
    }
}

/// Blocking variant of `waitUntil` for code that is not async (e.g. inside a handler test double).
public func waitUntilBlocking(
    deadline: Duration = .seconds(5),
    interval: Duration = .milliseconds(2),
    condition: () throws -> Bool
) rethrows -> Bool {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: deadline)
    let micros = useconds_t(max(1, interval.components.seconds * 1_000_000
        + interval.components.attoseconds / 1_000_000_000_000))
    while true {
        if try condition() { return true }
        if clock.now >= end { return false }
        usleep(micros)
    }
}
