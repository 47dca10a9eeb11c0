/// Small text helpers for fixed-width cells: fitting, padding and compact number formats.
public enum Text {
    /// `s` cut to at most `width` characters (with "…" when cut and there is room for it).
    public static func fit(_ s: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        guard s.count > width else { return s }
        if width == 1 { return String(s.prefix(1)) }
        return String(s.prefix(width - 1)) + "…"
    }

    /// `s` padded with spaces (or cut) to exactly `width` characters, left-aligned.
    public static func left(_ s: String, _ width: Int) -> String {
        let f = fit(s, width)
        return f + String(repeating: " ", count: max(0, width - f.count))
    }

    /// `s` padded with spaces (or cut) to exactly `width` characters, right-aligned.
    public static func right(_ s: String, _ width: Int) -> String {
        let f = fit(s, width)
        return String(repeating: " ", count: max(0, width - f.count)) + f
    }

    /// A duration in nanoseconds in at most 6 characters with ~3 significant digits: "812µs", "1.23ms", "12.3s".
    public static func duration(nanoseconds ns: UInt64) -> String {
        duration(seconds: Double(ns) / 1e9)
    }

    public static func duration(seconds s: Double) -> String {
        guard s.isFinite, s > 0 else { return "0" }
        if s < 1e-6 { return "\(Int((s * 1e9).rounded()))ns" }
        if s < 1e-3 { return significant(s * 1e6) + "µs" }
        if s < 1 { return significant(s * 1e3) + "ms" }
        if s < 600 { return significant(s) + "s" }
        return "\(Int((s / 60).rounded()))m"
    }

    /// A count or rate with a k/M suffix in at most 5 characters: "987", "12.3k", "1.20M".
    public static func count(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        let a = abs(v)
        let sign = v < 0 ? "-" : ""
        if a < 1000 {
            if a == a.rounded() || a >= 100 { return sign + "\(Int(a.rounded()))" }
            return sign + significant(a)
        }
        if a < 999_500 { return sign + significant(a / 1000) + "k" }
        if a < 999_500_000 { return sign + significant(a / 1_000_000) + "M" }
        return sign + significant(a / 1_000_000_000) + "G"
    }

    public static func count(_ v: UInt64) -> String { count(Double(v)) }
    public static func count(_ v: Int) -> String { count(Double(v)) }

    /// Bytes with a binary unit: "512B", "1.5KiB", "12.0MiB".
    public static func bytes(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var x = v, i = 0
        while abs(x) >= 1024, i < units.count - 1 { x /= 1024; i += 1 }
        return (i == 0 ? "\(Int(x))" : significant(x)) + units[i]
    }

    /// A ratio 0...1 as a percentage: "0%", "0.5%", "12%", "100%".
    public static func percent(_ ratio: Double) -> String {
        guard ratio.isFinite else { return "-" }
        let p = ratio * 100
        if p == 0 { return "0%" }
        if abs(p) < 10 { return fixed(p, 1) + "%" }
        return "\(Int(p.rounded()))%"
    }

    /// Seconds as "m:ss" or "h:mm:ss".
    public static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(h):\(two(m)):\(two(sec))" : "\(m):\(two(sec))"
    }

    /// Three significant digits, no exponent: 1.23, 12.3, 123.
    static func significant(_ v: Double) -> String {
        if v >= 99.95 { return "\(Int(v.rounded()))" }
        if v >= 9.995 { return fixed(v, 1) }
        return fixed(v, 2)
    }

    /// `v` with exactly `digits` decimals (Foundation-free, locale-independent).
    static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let negative = v < 0
        let n = Int((abs(v) * scale).rounded())
        let whole = n / Int(scale)
        var s = "\(whole)"
        if digits > 0 {
            let frac = String(n % Int(scale))
            s += "." + String(repeating: "0", count: digits - frac.count) + frac
        }
        return (negative && n != 0 ? "-" : "") + s
    }
}
