#if canImport(Glibc)
import Glibc
#endif

/// The characters the console draws with: Unicode block elements and box lines in a UTF-8 locale, ASCII otherwise.
public struct Glyphs: Sendable, Equatable {
    /// Nine levels for a cell's fill, empty to full (eighths: " ▁▂▃▄▅▆▇█").
    public let levels: [String]
    public let horizontal: String, vertical: String
    public let topLeft: String, topRight: String, bottomLeft: String, bottomRight: String
    /// Filled / empty cells of a saturation bar.
    public let barFull: String, barEmpty: String
    public let marker: String
    public let arrowUp: String, arrowDown: String
    public let dot: String
    public let isUnicode: Bool

    public static let unicode = Glyphs(
        levels: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        barFull: "█", barEmpty: "░", marker: "▼", arrowUp: "▲", arrowDown: "▼", dot: "·", isUnicode: true)

    public static let ascii = Glyphs(
        levels: [" ", ".", ".", "_", "-", "=", "+", "*", "#"],
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        barFull: "#", barEmpty: ".", marker: "v", arrowUp: "^", arrowDown: "v", dot: "-", isUnicode: false)

    /// The glyph for a fill fraction in 0...1 (rounded to the nearest eighth).
    public func level(_ fraction: Double) -> String {
        guard fraction.isFinite else { return levels[0] }
        let i = Int((min(max(fraction, 0), 1) * 8).rounded())
        return levels[i]
    }

    /// Unicode when the current locale's character set is UTF-8 (call after `setlocale(LC_ALL, "")`).
    public static func forCurrentLocale() -> Glyphs {
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return .ascii }
        let name = String(cString: codeset).uppercased()
        return name == "UTF-8" || name == "UTF8" ? .unicode : .ascii
    }

    /// `text` with every non-ASCII character replaced by one ASCII character (same width), for terminals whose
    /// locale is not UTF-8: "µ" → "u", "…" → "~", "→" → ">", box and block glyphs → their ASCII look-alikes.
    public static func asciiOnly(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 128 }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            if ch.isASCII { out.append(ch); continue }
            out.append(asciiReplacements[ch] ?? "?")
        }
        return out
    }

    static let asciiReplacements: [Character: Character] = [
        "…": "~", "·": "-", "µ": "u", "→": ">", "←": "<", "↔": "/", "×": "x", "●": "*", "▲": "^", "▼": "v",
        "−": "-", "±": "~", "⚠": "!", "─": "-", "│": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+", "░": ".",
        "▁": ".", "▂": ".", "▃": "_", "▄": "-", "▅": "=", "▆": "+", "▇": "*", "█": "#",
    ]
}
