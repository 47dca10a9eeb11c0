/// A/B vs mark: the marked baseline window against the seconds since, with a noise band from both windows'
/// per-second variation so a real change stands out from jitter.
enum ComparePanel {
    static func draw(_ ctx: RenderContext, in r: Rect) {
        let canvas = ctx.canvas
        guard let rows = ctx.model.comparison else { return }
        let b = rows.first?.baselineSeconds ?? 0, c = rows.first?.currentSeconds ?? 0
        canvas.put("baseline \(b)s · now \(c)s since mark", in: r, row: 0, style: .muted)
        if c == 0 {
            canvas.put("waiting for a full second after the mark…", in: r, row: 1, style: .muted)
        }
        let wide = r.width >= 46
        for (i, row) in rows.enumerated() where c > 0 {
            guard i + 1 < r.height else { break }
            let metricName = wide ? row.metric.rawValue : (row.metric == .queriesPerRequest ? "qry/req" : row.metric.rawValue)
            let name = Text.left(metricName, wide ? 12 : 8)
            let base = row.baseline.map { format($0, row.metric) } ?? "-"
            let now = row.current.map { format($0, row.metric) } ?? "-"
            var text = name + Text.right(base, 7) + (ctx.glyphs.isUnicode ? "→" : ">") + Text.left(now, 7)
            text += Text.right(relative(row.delta, of: row.baseline, row.metric), 6)
            if wide { text += " ±" + Text.left(relative(row.band, of: row.baseline, row.metric, signed: false), 6) }
            canvas.put(text, in: r, row: i + 1)
            let (label, style): (String, Style) = switch row.verdict {
            case .better: ((ctx.glyphs.isUnicode ? "▲ " : "+ ") + "better", .good)
            case .worse: ((ctx.glyphs.isUnicode ? "▼ " : "- ") + "worse", .bad)
            case .noise: ("~ noise", .muted)
            case .unknown: ("?", .muted)
            }
            canvas.put(label, in: r, row: i + 1, column: text.count + 1, style: style)
        }
    }

    static func format(_ v: Double, _ metric: ComparisonRow.Metric) -> String {
        switch metric {
        case .rate: return Text.count(v)
        case .p50, .p99: return Text.duration(nanoseconds: UInt64(max(v, 0)))
        case .errors: return Text.percent(v)
        case .queriesPerRequest: return Text.fixed(v, v < 10 ? 2 : 1)
        }
    }

    /// A delta as a percentage of the baseline ("+12%"), or in the metric's own unit when the baseline is 0.
    static func relative(_ d: Double?, of base: Double?, _ metric: ComparisonRow.Metric, signed: Bool = true) -> String {
        guard let d else { return "-" }
        let sign = signed ? (d > 0 ? "+" : d < 0 ? "-" : "") : ""
        if let base, base != 0, metric != .errors {
            let p = abs(d / base) * 100
            return sign + (p < 10 ? Text.fixed(p, 1) : "\(Int(p.rounded()))") + "%"
        }
        return sign + format(abs(d), metric)
    }
}
