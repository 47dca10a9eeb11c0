import Metrics

/// Latency: a log-scaled histogram of the window with p50/p90/p99/p99.9/max marked, and the corrected
/// (from the intended send time) and service-time percentiles side by side.
enum LatencyPanel {
    static let tableWidth = 21

    static func draw(_ ctx: RenderContext, in r: Rect) {
        let canvas = ctx.canvas
        let (corrected, service) = ctx.model.shownLatency
        guard !corrected.isEmpty || !service.isEmpty else {
            let why = ctx.model.windowMode == .rolling && ctx.model.windowCoveredSeconds == 0
                ? "no data yet (the window fills once per second)" : "no responses in the window"
            canvas.put(why, in: r, row: 0, style: .muted)
            return
        }
        let (c, s) = ctx.model.shownSummary
        // Table at the right when there is room for a useful histogram beside it, else the table alone.
        let histWidth = r.width - tableWidth - 2
        let table = histWidth >= 12
            ? Rect(x: r.maxX - tableWidth, y: r.y, width: tableWidth, height: r.height)
            : Rect(x: r.x, y: r.y, width: r.width, height: r.height)
        drawTable(c, s, in: table, canvas)
        if histWidth >= 12 {
            drawHistogram(corrected, summary: c, in: Rect(x: r.x, y: r.y, width: histWidth, height: r.height), ctx)
        }
    }

    static func drawTable(_ c: LatencySummary, _ s: LatencySummary, in r: Rect, _ canvas: Canvas) {
        canvas.put(Text.left("", 6) + Text.right("corr.", 7) + Text.right("svc", 8), in: r, row: 0, style: .muted)
        let rows: [(String, UInt64, UInt64, Style)] = [
            ("p50", c.p50, s.p50, .good), ("p90", c.p90, s.p90, Style(.series1)), ("p99", c.p99, s.p99, Style(.warning)),
            ("p99.9", c.p999, s.p999, Style(.bad)), ("max", c.max, s.max, Style(.marker)),
        ]
        for (i, row) in rows.enumerated() {
            canvas.put(Text.left(row.0, 6), in: r, row: i + 1, style: row.3)
            canvas.put(Text.right(Text.duration(nanoseconds: row.1), 7), in: r, row: i + 1, column: 6, style: Style(.normal, bold: true))
            canvas.put(Text.right(Text.duration(nanoseconds: row.2), 8), in: r, row: i + 1, column: 13)
        }
        if r.height > 6 { canvas.put("n     " + Text.right(Text.count(c.count), 7) + Text.right(Text.count(s.count), 8), in: r, row: 6, style: .muted) }
        if r.height > 9 {
            canvas.put("corr. = from the", in: r, row: 8, style: .muted)
            canvas.put("intended send time", in: r, row: 9, style: .muted)
            if r.height > 10 { canvas.put("svc = send→response", in: r, row: 10, style: .muted) }
        }
    }

    static func drawHistogram(_ h: LatencyHistogram, summary c: LatencySummary, in r: Rect, _ ctx: RenderContext) {
        guard r.height >= 3, !h.isEmpty else { return }
        let canvas = ctx.canvas
        // Log axis from just under the minimum to just over the maximum (at least a factor of 4 wide).
        let low = max(1_000, UInt64(Double(h.minNanoseconds) * 0.9))
        let high = max(low * 4, UInt64(Double(h.maxNanoseconds) * 1.1))
        let bins = h.logBins(binCount: r.width, low: low, high: high)
        let peak = Double(bins.max() ?? 0)
        let chart = Rect(x: r.x, y: r.y, width: r.width, height: r.height - 1)
        let logLow = log2(Double(low)), span = log2(Double(high)) - logLow
        func column(of ns: UInt64) -> Int {
            let p = (log2(Double(max(ns, 1))) - logLow) / span * Double(r.width)
            return min(max(Int(p), 0), r.width - 1)
        }
        let p50Column = column(of: c.p50), p99Column = column(of: c.p99)
        Charts.bars(bins.map { Double($0) }, in: chart, maximum: peak, on: canvas) { col, _ in
            col <= p50Column ? .good : col <= p99Column ? Style(.warning) : Style(.bad)
        }
        // Axis with the range and the percentile tags (placed by priority, never overlapping).
        let axisY = r.maxY - 1
        canvas.put(String(repeating: ctx.glyphs.horizontal, count: r.width), x: r.x, y: axisY, style: .muted)
        var taken: [Range<Int>] = []
        func place(_ label: String, at col: Int, _ style: Style) {
            let start = min(max(col, 0), max(r.width - label.count, 0))
            let range = start..<(start + label.count + 1)
            guard range.upperBound - 1 <= r.width, !taken.contains(where: { $0.overlaps(range) }) else { return }
            taken.append((start > 0 ? start - 1 : start)..<range.upperBound)
            canvas.put(label, x: r.x + start, y: axisY, style: style)
        }
        place("p50", at: p50Column, .good)
        place("p99", at: p99Column, Style(.warning, bold: true))
        place("max", at: column(of: c.max), Style(.marker))
        place("p90", at: column(of: c.p90), Style(.series1))
        place("p99.9", at: column(of: c.p999), Style(.bad))
        place(Text.duration(nanoseconds: low), at: 0, .muted)
        let highLabel = Text.duration(nanoseconds: high)
        place(highLabel, at: r.width - highLabel.count, .muted)
    }
}

#if canImport(Glibc)
import Glibc
#endif
