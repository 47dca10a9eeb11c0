import Metrics

/// Throughput and latency over time: achieved (and offered) rate, p50 and p99 per second over the last
/// minutes, with markers where a knob changed.
enum OverTimePanel {
    static func draw(_ ctx: RenderContext, in r: Rect) {
        let canvas = ctx.canvas
        let samples = ctx.model.seconds.elements
        guard let newest = samples.last, r.height >= 5 else {
            canvas.put("no data yet (one point per second)", in: r, row: 0, style: .muted)
            return
        }
        let g = ctx.glyphs
        let first = samples[0].second
        let (rates, perColumn) = Charts.downsample(samples, columns: r.width, firstIndex: first) { mean($0.map(\.rate)) }
        let (offered, _) = Charts.downsample(samples, columns: r.width, firstIndex: first) { mean($0.map(\.offered)) }
        let (p50s, _) = Charts.downsample(samples, columns: r.width, firstIndex: first) { mean($0.map { Double($0.latency.p50) }) }
        // p99 of a column: the worst second in it (a mean of p99s would hide the spike the chart is for).
        let (p99s, _) = Charts.downsample(samples, columns: r.width, firstIndex: first) { Double($0.map(\.latency.p99).max() ?? 0) }

        let rateRows = (r.height - 3) / 2
        let latencyRows = r.height - 3 - rateRows
        let span = Text.clock(Double(rates.count * perColumn))

        // Rate legend and chart (offered drawn as a line where it is above the achieved bar).
        canvas.put("rate ", in: r, row: 0, style: .muted)
        canvas.put(Text.count(newest.rate) + "/s", in: r, row: 0, column: 5, style: Style(.series1, bold: true))
        let offeredText = "offered " + Text.count(newest.offered) + "/s"
        canvas.put(offeredText, in: r, row: 0, column: 6 + Text.count(newest.rate).count + 3, style: .muted)
        let spanText = "last " + span + (perColumn > 1 ? " (\(perColumn)s/col)" : "")
        if r.width > 40 { canvas.put(spanText, x: r.maxX - spanText.count, y: r.y, style: .muted) }
        let rateMax = max(rates.max() ?? 0, offered.max() ?? 0) * 1.05
        let rateRect = Rect(x: r.x, y: r.y + 1, width: r.width, height: rateRows)
        drawOfferedLine(offered, in: rateRect, maximum: rateMax, canvas)
        Charts.bars(rates, in: rateRect, maximum: rateMax, on: canvas) { _, _ in Style(.series1) }

        // Latency legend and chart: p99 bars with the p50 part in green.
        let legendRow = 1 + rateRows
        canvas.put("p50 ", in: r, row: legendRow, style: .good)
        canvas.put(Text.duration(nanoseconds: newest.latency.p50), in: r, row: legendRow, column: 4, style: Style(.good, bold: true))
        canvas.put("p99 ", in: r, row: legendRow, column: 12, style: Style(.warning))
        canvas.put(Text.duration(nanoseconds: newest.latency.p99), in: r, row: legendRow, column: 16, style: Style(.warning, bold: true))
        if r.width > 40 {
            let top = "top " + Text.duration(seconds: (p99s.max() ?? 0) / 1e9)
            canvas.put(top, x: r.maxX - top.count, y: r.y + legendRow, style: .muted)
        }
        let latencyRect = Rect(x: r.x, y: r.y + legendRow + 1, width: r.width, height: latencyRows)
        let latencyMax = (p99s.max() ?? 0) * 1.05
        Charts.bars(p99s, in: latencyRect, maximum: latencyMax, on: canvas) { column, row in
            let p50Rows = latencyMax > 0 ? p50s[column] / latencyMax * Double(latencyRows) : 0
            return Double(row + 1) <= p50Rows ? .good : Style(.warning)
        }

        // Knob-change markers under the chart, at the column of their second.
        let markerRow = r.height - 1
        canvas.put(String(repeating: g.horizontal, count: r.width), in: r, row: markerRow, style: .muted)
        let firstShown = newest.second - rates.count * perColumn + 1
        var lastLabel: String?
        for event in ctx.snapshot?.events ?? [] where event.kind == "knob" || event.kind == "preset" || event.kind == "breaker" {
            let second = Int(event.atSeconds)
            guard second >= firstShown, second <= newest.second else { continue }
            let column = (second - firstShown) / perColumn
            canvas.put(g.arrowUp, x: r.x + column, y: r.y + markerRow, style: Style(.marker, bold: true))
            lastLabel = "\(Text.clock(event.atSeconds)) \(event.detail)"
        }
        if let lastLabel, r.width > 24 {
            let label = " " + Text.fit(lastLabel, r.width / 2) + " "
            canvas.put(label, x: r.maxX - label.count, y: r.y + markerRow, style: Style(.marker))
        }
    }

    static func drawOfferedLine(_ offered: [Double], in rect: Rect, maximum: Double, _ canvas: Canvas) {
        guard maximum > 0, rect.height > 0 else { return }
        for (column, v) in offered.prefix(rect.width).enumerated() where v > 0 {
            let row = min(Int(v / maximum * Double(rect.height)), rect.height - 1)
            canvas.put(canvas.glyphs.horizontal, x: rect.x + column, y: rect.maxY - 1 - row, style: .muted)
        }
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}
