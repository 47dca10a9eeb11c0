import Foundation

/// `dyno run --start-at TIME`: several load machines start one run together (their clocks synchronised by NTP).
public enum StartTime {
    /// Unix seconds from ISO-8601 ("2026-12-05T12:00:00Z", fractional seconds and offsets allowed) or unix seconds
    /// ("1796472000"). A time not after `now` is refused: the machines would not start together.
    public static func parse(_ text: String, now: Double) throws(StartTimeError) -> Double {
        let seconds: Double
        if let n = Double(text), n.isFinite {
            seconds = n
        } else if let date = iso(text) {
            seconds = date.timeIntervalSince1970
        } else {
            throw StartTimeError(message: "expected an ISO-8601 time like 2026-12-05T12:00:00Z or unix seconds, got \"\(text)\"")
        }
        guard seconds > now else {
            throw StartTimeError(message: "\(text) is in the past (now is \(format(now))): give a time still to come")
        }
        return seconds
    }

    static func iso(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }

    public static func format(_ unixSeconds: Double) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: unixSeconds))
    }

    /// Blocks until `unixSeconds` (a scheduled start, not synchronisation between threads).
    static func wait(until unixSeconds: Double) {
        let delay = unixSeconds - Date().timeIntervalSince1970
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
    }
}

/// Why a start time was refused (the command line names the flag).
public struct StartTimeError: Error, Equatable {
    public let message: String
}
