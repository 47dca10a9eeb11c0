import Glibc
import Metrics
import Synchronization

/// The backend's operator log: one line per internal error (a 500, or a failure the server survived), with the
/// route template and a request id that the client also sees in the 500 body. SQL and other internals go here,
/// never into a response.
///
/// Lines reach the sink (stderr for `dyno serve`) rate-limited: at most `maxLinesPerSecond` per second; the rest
/// are counted and summed up in one "suppressed" line when the next second's first line is written (or on
/// `flush()`), so a storm of failures cannot flood the terminal or slow the serving threads. The newest
/// `keptLines` lines (suppressed or not) stay in memory for the probe: embedded runs show them in the console and
/// write them to `errors.log`.
public final class InternalErrorLog: Sendable {
    public typealias Sink = @Sendable (String) -> Void

    /// One line on stderr (a single write(2), so lines of concurrent writers do not interleave).
    public static let standardError: Sink = { line in
        var bytes = Array((line + "\n").utf8)
        _ = write(2, &bytes, bytes.count)
    }

    /// Drops lines: for embedded runs, where the console owns the terminal and lines travel through the probe.
    public static let discard: Sink = { _ in }

    public static let defaultMaxLinesPerSecond = 10
    public static let keptLines = 32

    private struct State {
        var windowStart: UInt64 = 0
        var writtenInWindow = 0
        var suppressed = 0
        var sequence: UInt64 = 0
        var recent: [InternalErrorLine] = []
    }

    private let sink: Sink
    private let maxLinesPerSecond: Int
    private let clock: @Sendable () -> UInt64
    private let state = Mutex(State())

    /// - Parameters:
    ///   - clock: monotonic nanoseconds (tests step it).
    public init(sink: @escaping Sink, maxLinesPerSecond: Int = InternalErrorLog.defaultMaxLinesPerSecond,
                clock: @escaping @Sendable () -> UInt64 = MonotonicClock.nanoseconds) {
        self.sink = sink
        self.maxLinesPerSecond = max(1, maxLinesPerSecond)
        self.clock = clock
    }

    /// Logs the internal error of a request on `route` (its template, e.g. "GET /api/articles/:slug"); returns the
    /// request id to show the client.
    public func record(route: String, error: any Error) -> String {
        let id = Self.newRequestID()
        log("internal error id=\(id) route=\(route): \(String(describing: error))")
        return id
    }

    /// Logs a failure not tied to a request (e.g. the HTTP server's `epoll_wait`).
    public func report(_ message: String) {
        log("server error: " + message)
    }

    /// Writes the "suppressed" line now if lines were held back (call on stop).
    public func flush() {
        let pending = state.withLock { s -> Int in
            defer { s.suppressed = 0 }
            return s.suppressed
        }
        if pending > 0 { sink(suppressedLine(pending)) }
    }

    public var probe: InternalErrorsProbe {
        state.withLock { s in
            var p = InternalErrorsProbe()
            p.total = s.sequence
            p.recent = s.recent
            return p
        }
    }

    private func log(_ message: String) {
        let line = Self.timestamp() + " " + Self.oneLine(message)
        let now = clock()
        // Decide under the lock, write outside it: a slow stderr never holds up other threads' bookkeeping.
        let (write, suppressedBefore) = state.withLock { s -> (Bool, Int) in
            s.sequence += 1
            s.recent.append(InternalErrorLine(sequence: s.sequence, text: line))
            if s.recent.count > Self.keptLines { s.recent.removeFirst(s.recent.count - Self.keptLines) }
            var suppressedBefore = 0
            if s.windowStart == 0 || now &- s.windowStart >= 1_000_000_000 {
                s.windowStart = now == 0 ? 1 : now
                s.writtenInWindow = 0
                suppressedBefore = s.suppressed
                s.suppressed = 0
            }
            guard s.writtenInWindow < maxLinesPerSecond else {
                s.suppressed += 1
                return (false, suppressedBefore)
            }
            s.writtenInWindow += 1
            return (true, suppressedBefore)
        }
        if suppressedBefore > 0 { sink(suppressedLine(suppressedBefore)) }
        if write { sink(line) }
    }

    private func suppressedLine(_ count: Int) -> String {
        Self.timestamp() + " \(count) internal error line\(count == 1 ? "" : "s") suppressed "
            + "(at most \(maxLinesPerSecond) lines/s; the console and errors.log keep the newest \(Self.keptLines))"
    }

    /// Multi-line text (SQL in an error) on one line: a log line is one error, for grep and for the console.
    static func oneLine(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingPrefix(while: \.isWhitespace) }.joined(separator: " ")
    }

    /// 12 hex digits (48 random bits): unique enough to find one request's line among a day of logs.
    static func newRequestID() -> String {
        let value = UInt64.random(in: 0..<(1 << 48))
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 12 - hex.count) + hex
    }

    /// UTC wall time, "2026-12-05T10:31:02Z".
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
