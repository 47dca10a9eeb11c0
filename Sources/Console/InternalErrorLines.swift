import Metrics

/// The bottom of the Status panel: the backend's newest internal-error lines (500s with their request id, failures
/// the server survived), read from the snapshot's probe, so their cause is on screen and not only counted.
enum InternalErrorLines {
    /// Rows to give the lines at the bottom of a Status panel `height` rows tall: none without internal errors.
    static func rows(_ probe: InternalErrorsProbe?, height: Int) -> Int {
        guard let probe, probe.total > 0, height >= 4 else { return 0 }
        return min(1 + probe.recent.count, max(2, height / 2))
    }

    static func draw(_ probe: InternalErrorsProbe, canvas: Canvas, in r: Rect) {
        guard r.height > 0 else { return }
        canvas.put("internal errors \(Text.count(Double(probe.total))) · newest last · errors.log at the end",
                   in: r, row: 0, style: .bad)
        for (i, line) in probe.recent.suffix(r.height - 1).enumerated() {
            canvas.put(shortened(line.text), in: r, row: i + 1, style: .muted)
        }
    }

    /// "2026-12-05T10:31:02Z internal error id=…" without the date (the time of day is enough on screen).
    static func shortened(_ text: String) -> String {
        let date = text.prefix(11)
        guard date.count == 11, date.last == "T", date.dropLast().allSatisfy({ $0.isNumber || $0 == "-" }) else { return text }
        return String(text.dropFirst(11))
    }
}
