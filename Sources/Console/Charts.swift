/// Text charts drawn with the canvas's glyphs: sparklines, multi-row bar charts and saturation bars.
enum Charts {
    /// One row of bars (the newest value at the right), `width` cells; values scaled to `maximum`
    /// (default: their own maximum). Shorter series are padded on the left.
    static func sparkline(_ values: [Double], width: Int, maximum: Double? = nil, glyphs: Glyphs) -> String {
        guard width > 0 else { return "" }
        let shown = values.suffix(width)
        let top = maximum ?? (shown.max() ?? 0)
        var s = String(repeating: " ", count: width - shown.count)
        for v in shown {
            // Any non-zero value shows at least the lowest bar, so a rare error never disappears.
            if v > 0, top > 0 { s += glyphs.levels[max(1, Int((min(v / top, 1) * 8).rounded()))] } else { s += glyphs.levels[0] }
        }
        return s
    }

    /// Vertical bars in `rect`, one column per value (left to right), heights in eighths of a cell, scaled so that
    /// `maximum` fills the rect. `style(column, row)` picks each cell's style (row 0 = bottom).
    static func bars(_ values: [Double], in rect: Rect, maximum: Double, on canvas: Canvas,
                     style: (Int, Int) -> Style) {
        guard rect.height > 0, maximum > 0 else { return }
        let g = canvas.glyphs
        for (column, v) in values.prefix(rect.width).enumerated() {
            guard v > 0 else { continue }
            // Height in eighths; at least one eighth for any non-zero value.
            let eighths = max(1, Int((min(v / maximum, 1) * Double(rect.height * 8)).rounded()))
            for row in 0..<rect.height {
                let fill = min(max(eighths - row * 8, 0), 8)
                if fill == 0 { break }
                canvas.put(g.levels[fill], x: rect.x + column, y: rect.maxY - 1 - row, style: style(column, row))
            }
        }
    }

    /// A horizontal saturation bar of `width` cells for `fraction` (0...1).
    static func saturation(_ fraction: Double, width: Int, glyphs: Glyphs) -> (filled: String, empty: String) {
        guard width > 0 else { return ("", "") }
        let f = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        var n = Int((f * Double(width)).rounded())
        if f > 0, n == 0 { n = 1 }
        return (String(repeating: glyphs.barFull, count: n), String(repeating: glyphs.barEmpty, count: width - n))
    }

    /// Style of a saturation level: green below 70%, yellow below 90%, red above.
    static func saturationStyle(_ fraction: Double) -> Style {
        fraction >= 0.9 ? .bad : fraction >= 0.7 ? Style(.warning) : .good
    }

    /// Groups a series into at most `columns` columns, newest at the right; each column summarises up to
    /// `perColumn` consecutive values with `combine`. Groups are aligned to multiples of `perColumn` counted from
    /// `firstIndex` (the absolute index of `values[0]`, e.g. its second), so columns do not shift as time passes.
    /// Returns (columns, values per column).
    static func downsample<T>(_ values: [T], columns: Int, firstIndex: Int = 0,
                              combine: ([T]) -> Double) -> ([Double], Int) {
        guard columns > 0, !values.isEmpty else { return ([], 1) }
        let perColumn = max(1, (values.count + columns - 1) / columns)
        var out: [Double] = []
        var end = values.count
        while end > 0, out.count < columns {
            let absoluteLast = firstIndex + end - 1
            let start = max(0, absoluteLast - absoluteLast % perColumn - firstIndex)
            out.append(combine(Array(values[start..<end])))
            end = start
        }
        return (out.reversed(), perColumn)
    }
}
