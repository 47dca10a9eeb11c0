import Metrics

/// The Memory panel: anonymous RSS (what a leak grows) apart from file-backed pages (the database's mapped pages,
/// which come and go with the page cache), heap in use, the least-squares slope of each after warm-up with its
/// fit, and the leak verdict over anonymous RSS (the backend's `LeakDetector`); then a chart of each over time.
enum MemoryPanel {
    static func draw(_ memory: MemoryProbe?, _ ctx: RenderContext, _ r: Rect) {
        let canvas = ctx.canvas
        guard let memory, memory.rssAnonBytes > 0 else { return BackendPanels.noProbe("memory", canvas, r) }
        // Narrow panels (30 columns) come first: verdict and anon slope on one row, the rest below.
        BackendPanels.pairs([
            ("anon", Text.bytes(Double(memory.rssAnonBytes)), Style(.accent, bold: true)),
            ("file", Text.bytes(Double(memory.rssFileBytes)), .muted),
        ], row: 0, canvas, r)
        BackendPanels.pairs(trend(memory.anon, rule: memory.rule, verdict: true), row: 1, canvas, r)
        guard r.height > 3 else { return }
        BackendPanels.pairs([("heap", Text.bytes(Double(memory.heapInUseBytes)), Style(.series2, bold: true))]
                            + trend(memory.heap, rule: memory.rule, verdict: false), row: 2, canvas, r)
        BackendPanels.pairs([
            ("memo", "\(Text.count(memory.memoEntries)) · \(Text.bytes(Double(memory.memoBytes))) \(memory.mode.rawValue)",
             memory.mode == .unbounded ? Style(.warning) : .normal),
        ], row: 3, canvas, r)
        let chartRows = r.height - 4
        guard chartRows >= 4 else { return }
        let seconds = ctx.model.seconds.elements
        let anonHeight = chartRows / 2
        chart("anon RSS", seconds.compactMap { s in s.backend?.rssAnonBytes.map { (s.second, Double($0)) } },
              Rect(x: r.x, y: r.y + 4, width: r.width, height: anonHeight), .accent, canvas)
        chart("heap in use", seconds.compactMap { s in s.backend?.heapInUseBytes.map { (s.second, Double($0)) } },
              Rect(x: r.x, y: r.y + 4 + anonHeight, width: r.width, height: chartRows - anonHeight), .series2, canvas)
    }

    /// "growing +12KiB/s R² 0.91" (the verdict only for the series it is based on: anonymous RSS).
    static func trend(_ a: LeakAssessment, rule: LeakDetector.Configuration, verdict: Bool) -> [(String, String, Style)] {
        guard a.samples >= 2 else {
            return [("", verdict ? "slope after \(Int(rule.warmUpSeconds))s warm-up" : "", .muted)]
        }
        var items: [(String, String, Style)] = []
        if verdict {
            switch a.verdict {
            case .collecting: items.append(("", "collecting \(a.samples)/\(rule.minimumSamples)", .muted))
            case .flat: items.append(("", "flat", Style(.good, bold: true)))
            case .growing: items.append(("", "growing", Style(.bad, bold: true)))
            }
        }
        let slope = a.slopeBytesPerSecond
        items.append(("", (slope >= 0 ? "+" : "-") + Text.bytes(abs(slope)) + "/s", .normal))
        items.append(("R²", Text.fixed(a.fit, 2), .muted))
        return items
    }

    /// A label row and bars below it, scaled from just under the smallest value so growth is visible.
    static func chart(_ label: String, _ samples: [(Int, Double)], _ rect: Rect, _ role: ColorRole, _ canvas: Canvas) {
        canvas.put(label, in: rect, row: 0, style: .muted)
        guard rect.height >= 2, let first = samples.first else { return }
        let bars = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        let (columns, _) = Charts.downsample(samples.map(\.1), columns: bars.width, firstIndex: first.0) { $0.max() ?? 0 }
        let floor = (columns.min() ?? 0) * 0.9
        let shifted = columns.map { $0 - floor }
        Charts.bars(shifted, in: bars, maximum: (shifted.max() ?? 0) * 1.05, on: canvas) { _, _ in Style(role) }
    }
}
