/// Writes JSON straight into a byte buffer: no intermediate objects, keys in the order they are written.
///
/// Why not `JSONEncoder`: on Linux it took ≈ 4× the time and ≈ 90× the allocations for a page of articles
/// (FACTS.md), its key order is not stable, and it escapes `/`. The caller is responsible for structure (commas
/// are inserted automatically between members/elements; `beginObject`/`endObject` must balance).
struct JSONWriter {
    private(set) var bytes: [UInt8]
    /// Bit `depth - 1`: has the innermost open container already got a member (so the next one needs a comma)?
    /// A bit stack instead of an array: no allocation besides the output buffer.
    private var hasMember: UInt64 = 0
    private var depth = 0
    private var afterKey = false
    /// Deepest nesting supported (the bit stack's width); Conduit bodies nest 4 levels.
    static let maxDepth = 64

    init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: Structure

    mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); push() }
    mutating func endObject() { pop(); bytes.append(UInt8(ascii: "}")) }
    mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); push() }
    mutating func endArray() { pop(); bytes.append(UInt8(ascii: "]")) }

    private mutating func push() {
        precondition(depth < Self.maxDepth, "JSONWriter: nesting deeper than \(Self.maxDepth)")
        depth += 1
        hasMember &= ~(1 << UInt64(depth - 1))
    }

    private mutating func pop() {
        precondition(depth > 0, "JSONWriter: end without begin")
        depth -= 1
    }

    /// Writes `"name":` for a literal key (copied as is: our literal keys are plain ASCII); the next value written
    /// belongs to it. Literal keys take this overload only because no `String` overload is named `key`.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }   // static keys are plain ASCII: no escaping needed
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    /// Writes a key computed at run time (escaped).
    mutating func dynamicKey(_ name: String) {
        separate()
        writeEscaped(name)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    // MARK: Values

    mutating func string(_ value: String) { separate(); writeEscaped(value) }

    /// A string, or `null` when nil.
    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    mutating func int(_ value: Int64) {
        separate()
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // Digits are produced last-first into a stack scratch buffer, then appended in one go.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            var index = 20
            while magnitude > 0 {
                index -= 1
                scratch[index] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[index..<20]))
        }
    }

    mutating func int(_ value: Int) { int(Int64(value)) }

    mutating func double(_ value: Double) {
        separate()
        if value.isFinite {
            bytes.append(contentsOf: value.description.utf8)
        } else {
            bytes.append(contentsOf: "null".utf8)   // JSON has no NaN/Infinity
        }
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    mutating func null() { separate(); bytes.append(contentsOf: "null".utf8) }

    /// An ISO-8601 UTC timestamp with milliseconds, e.g. `"2024-01-02T03:04:05.678Z"`, from unix milliseconds.
    mutating func timestamp(unixMilliseconds: Int64) {
        separate()
        let millis = Int(((unixMilliseconds % 1000) + 1000) % 1000)
        let seconds = (unixMilliseconds - Int64(millis)) / 1000
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = Self.civilFromDays(days)
        bytes.append(UInt8(ascii: "\""))
        appendPadded(year, width: 4)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(month, width: 2)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(day, width: 2)
        bytes.append(UInt8(ascii: "T"))
        appendPadded(secondOfDay / 3600, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay / 60 % 60, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 60, width: 2)
        bytes.append(UInt8(ascii: "."))
        appendPadded(millis, width: 3)
        bytes.append(UInt8(ascii: "Z"))
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends already-encoded JSON as one value (e.g. a cached fragment).
    mutating func raw(_ json: [UInt8]) { separate(); bytes.append(contentsOf: json) }

    // MARK: Internals

    /// Emits the comma before a member/element when needed.
    @inline(__always)
    private mutating func separate() {
        if afterKey { afterKey = false; return }
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if hasMember & bit != 0 { bytes.append(UInt8(ascii: ",")) } else { hasMember |= bit }
    }

    private mutating func appendPadded(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        if v >= divisor * 10 {   // wider than `width` (years past 9999): write all digits
            bytes.append(contentsOf: String(v).utf8)
            return
        }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(v / divisor))
            v %= divisor
            divisor /= 10
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes `"text"` escaping `"`, `\` and control characters (RFC 8259); other UTF-8 passes through unchanged
    /// (JSON is UTF-8; `/` is not escaped). U+2028/U+2029 are escaped too so the output is also valid JavaScript.
    private mutating func writeEscaped(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            var i = 0
            let n = utf8.count
            while i < n {
                let b = utf8[i]
                var escape: UInt8 = 0
                var isLineSeparator = false
                if b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                    escape = b
                } else if b == 0xE2, i + 2 < n, utf8[i + 1] == 0x80, utf8[i + 2] == 0xA8 || utf8[i + 2] == 0xA9 {
                    isLineSeparator = true
                } else {
                    i += 1
                    continue
                }
                if i > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                if isLineSeparator {
                    bytes.append(contentsOf: (utf8[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                    i += 3
                    runStart = i
                    continue
                }
                bytes.append(UInt8(ascii: "\\"))
                switch escape {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    bytes.append(contentsOf: "u00".utf8)
                    bytes.append(Self.hexDigits[Int(escape >> 4)])
                    bytes.append(Self.hexDigits[Int(escape & 0xF)])
                }
                i += 1
                runStart = i
            }
            if n > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<n])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
