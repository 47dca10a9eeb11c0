// The `Date` response header (RFC 9110 §6.6.1): formatted once per second per serving loop, not per response.

/// IMF-fixdate formatting: `Sun, 06 Nov 1994 08:49:37 GMT`, always 29 bytes.
public enum HTTPDate {
    private static let weekdays: [StaticString] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The IMF-fixdate of `epochSeconds` (seconds since 1970-01-01 00:00:00 UTC; negative values clamp to 0).
    public static func format(epochSeconds: Int) -> String {
        var out: [UInt8] = []
        append(epochSeconds: epochSeconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func append(epochSeconds: Int, to out: inout [UInt8]) {
        let seconds = max(0, epochSeconds)
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        appendStatic(weekdays[days % 7], to: &out)
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: " "))
        appendTwoDigits(day, to: &out)
        out.append(UInt8(ascii: " "))
        appendStatic(months[month - 1], to: &out)
        out.append(UInt8(ascii: " "))
        appendTwoDigits(year / 100, to: &out)
        appendTwoDigits(year % 100, to: &out)
        out.append(UInt8(ascii: " "))
        appendTwoDigits(secondOfDay / 3600, to: &out)
        out.append(UInt8(ascii: ":"))
        appendTwoDigits(secondOfDay / 60 % 60, to: &out)
        out.append(UInt8(ascii: ":"))
        appendTwoDigits(secondOfDay % 60, to: &out)
        appendStatic(" GMT", to: &out)
    }

    /// Days since 1970-01-01 → proleptic Gregorian (year, month 1...12, day 1...31); Howard Hinnant's
    /// `civil_from_days`, exact for every day we can be asked about.
    static func civilDate(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func appendTwoDigits(_ value: Int, to out: inout [UInt8]) {
        out.append(UInt8(48 + value / 10 % 10))
        out.append(UInt8(48 + value % 10))
    }

    private static func appendStatic(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

/// A serving loop's `Date: …\r\n` line, re-formatted only when the second changes. Each loop owns one (no
/// sharing, no lock); the loop refreshes it once per batch of events with the wall clock's second.
struct ServerDateLine {
    /// The whole header line, `Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n` (37 bytes).
    private(set) var bytes: [UInt8] = []
    private(set) var second = Int.min

    init(epochSeconds: Int) {
        bytes.reserveCapacity(40)
        refresh(epochSeconds: epochSeconds)
    }

    /// Re-formats when `epochSeconds` differs from the second formatted last (allocation-free: the buffer is reused).
    mutating func refresh(epochSeconds: Int) {
        guard epochSeconds != second else { return }
        second = epochSeconds
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: "Date: ".utf8)
        HTTPDate.append(epochSeconds: epochSeconds, to: &bytes)
        bytes.append(13)
        bytes.append(10)
    }
}
