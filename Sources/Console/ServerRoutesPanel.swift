import Metrics

/// The Routes panel's server view (`v`): the backend's own figures per route template over the last second —
/// requests/s, DB queries and DB time per request (N+1 and caching show at a glance), time per request in the
/// backend and where it went (queue / pool / cache / db / encode / other), as µs and as a stacked bar.
enum ServerRoutesPanel {
    /// Bar colours per stage (the letters carry the meaning without colour).
    static let stageStyles: [Style] = [
        Style(.warning, reverse: true), Style(.bad, reverse: true), Style(.good, reverse: true),
        Style(.series1, reverse: true), Style(.series2, reverse: true), Style(.muted, reverse: true),
    ]
    static let stageLabels = ["queue", "pool", "cache", "db", "encode", "other"]

    enum Column { case rate, queries, db, time, bytes }

    static func draw(_ ctx: RenderContext, in r: Rect) {
        let canvas = ctx.canvas
        guard let snapshot = ctx.snapshot, let backend = snapshot.backend else {
            canvas.put("no data", in: r, row: 0, style: Style(.muted, bold: true))
            if ctx.snapshot == nil {
                canvas.put("(no snapshot yet)", in: r, row: 1, style: .muted)
            } else {
                BackendPanels.externalNote(ctx.canvas, r, from: 1)
            }
            return
        }
        // A generic Prometheus scrape has requests and durations by route, not Dyno's DB and stage breakdown.
        let breakdown = backend.scrape?.hasBreakdown ?? true
        guard let view = ctx.model.serverSecond else {
            canvas.put("no data yet (one figure per second)", in: r, row: 0, style: .muted)
            return
        }
        guard let all = view.all else {
            canvas.put("no backend requests in the last second", in: r, row: 0, style: .muted)
            if view.backgroundQueriesPerSecond > 0 { background(view, row: 1, canvas, r) }
            return
        }

        // Columns by priority: the per-stage µs columns when the panel is wide (zoomed), else a detail row.
        let prefix = RoutesPanel.commonPathPrefix(view.routes.map(\.route))
        let names = view.routes.map { RoutesPanel.shortName($0.route, dropping: prefix) }
        let nameWant = max(14, min((names.map(\.count).max() ?? 0) + 1, 26))
        var columns: [(Column, String, Int)] = breakdown
            ? [(.rate, "req/s", 7), (.queries, "qry/req", 8), (.db, "db/req", 7), (.time, "t/req", 7), (.bytes, "B/resp", 8)]
            : [(.rate, "req/s", 7), (.time, "t/req", 7)]
        while columns.count > 1, r.width - columns.reduce(0, { $0 + $1.2 }) < 12 { columns.removeLast() }
        let fixed = columns.reduce(0, { $0 + $1.2 })
        let stageColumns = breakdown && r.width >= nameWant + fixed + 6 * 7 + 13
        let stageWidth = stageColumns ? 6 * 7 : 0
        let spare = r.width - nameWant - fixed - stageWidth - 1
        let barWidth = columns.count >= 4 && spare >= 8 ? min(spare, 40) : 0
        let nameWidth = r.width - fixed - stageWidth - (barWidth > 0 ? barWidth + 1 : 0)

        var header = Text.left("backend route", nameWidth)
        for (_, label, w) in columns { header += Text.right(label, w) }
        if stageColumns { for label in ["queue", "pool", "cache", "db", "enc", "other"] { header += Text.right(label, 7) } }
        if barWidth > 0 { header += " " + Text.left("share of t/req", barWidth) }
        canvas.put(header, in: r, row: 0, style: .muted)

        // Rows: "all routes" first (it must not be cut), then the routes, busiest first; a µs detail row under
        // each when there is room, else under "all routes" only.
        let room = r.height - 1
        let detailed = breakdown && !stageColumns && room >= 2 * (view.routes.count + 1) + 1
        let allDetail = breakdown && !stageColumns && !detailed && room >= 4
        var row = 1
        let used = 1 + (allDetail || detailed ? 1 : 0)
        let routeRows = detailed ? 2 : 1
        let fitting = max(0, (room - used) / routeRows)
        let visible = view.routes.count > fitting ? max(0, (room - used - 1) / routeRows) : view.routes.count
        func line(_ f: ServerRouteFigures, name: String, style: Style, detail: Bool) {
            canvas.put(Text.left(name, nameWidth - 1), in: r, row: row, style: style)
            var x = nameWidth
            for (column, _, w) in columns {
                let text: String
                var cellStyle = Style.normal
                switch column {
                case .rate: text = Text.count(f.requestsPerSecond)
                case .queries:
                    text = Text.fixed(f.queriesPerRequest, f.queriesPerRequest < 10 ? 1 : 0)
                    // Many statements per request is the N+1 signature.
                    if f.queriesPerRequest >= 10 { cellStyle = .warning }
                case .db: text = Text.duration(seconds: f.dbNanosecondsPerRequest / 1e9)
                case .time: text = Text.duration(seconds: f.handlerNanosecondsPerRequest / 1e9)
                case .bytes: text = f.bytesPerResponse > 0 ? Text.bytes(f.bytesPerResponse) : "-"
                }
                canvas.put(Text.right(text, w), in: r, row: row, column: x, style: cellStyle)
                x += w
            }
            if stageColumns {
                for ns in f.stageNanosecondsPerRequest {
                    canvas.put(Text.right(Text.duration(seconds: ns / 1e9), 7), in: r, row: row, column: x,
                               style: ns > 0 ? .normal : .muted)
                    x += 7
                }
            }
            if barWidth > 0 { bar(f.stageShares, width: barWidth, x: x + 1, row: row, canvas, r) }
            row += 1
            if detail {
                var column = 2
                for (i, ns) in f.stageNanosecondsPerRequest.enumerated() {
                    let item = "\(ServerRouteFigures.stageLetters[i]) \(Text.duration(seconds: ns / 1e9))"
                    guard column + item.count <= r.width else { break }
                    canvas.put(item, in: r, row: row, column: column, style: .muted)
                    column += item.count + 2
                }
                row += 1
            }
        }
        line(all, name: "all routes", style: Style(.normal, bold: true), detail: detailed || allDetail)
        for (i, f) in view.routes.prefix(visible).enumerated() {
            line(f, name: names[i], style: .normal, detail: detailed)
        }
        if visible < view.routes.count {
            canvas.put("+\(view.routes.count - visible) more routes (z zooms)", in: r, row: row, style: .muted)
            row += 1
        }
        if row < r.height, view.backgroundQueriesPerSecond > 0 { background(view, row: row, canvas, r); row += 1 }
        if row < r.height, barWidth > 0 || detailed || allDetail {
            legend(row: row, canvas, r)
        } else if row < r.height, !breakdown, let scrape = backend.scrape {
            canvas.put("from \(scrape.url): no DB or stage figures there", in: r, row: row, style: .muted)
        }
    }

    static func background(_ view: ServerView, row: Int, _ canvas: Canvas, _ r: Rect) {
        canvas.put("background SQL \(Text.count(view.backgroundQueriesPerSecond)) queries/s (no request)",
                   in: r, row: row, style: .muted)
    }

    /// "q queue  p pool  c cache  d db  e encode  o other", letters in their bar colours.
    static func legend(row: Int, _ canvas: Canvas, _ r: Rect) {
        var column = 0
        for (i, label) in stageLabels.enumerated() {
            let item = " \(label)"
            guard column + 1 + item.count <= r.width else { break }
            canvas.put(String(ServerRouteFigures.stageLetters[i]), in: r, row: row, column: column, style: stageStyles[i])
            canvas.put(item, in: r, row: row, column: column + 1, style: .muted)
            column += item.count + 3
        }
    }

    /// The stacked bar: `width` cells split by share (largest remainders), each stage in its letter and colour.
    static func bar(_ shares: [Double], width: Int, x: Int, row: Int, _ canvas: Canvas, _ r: Rect) {
        let cells = cellCounts(shares, width: width)
        var column = x
        for (i, n) in cells.enumerated() where n > 0 {
            canvas.put(String(repeating: ServerRouteFigures.stageLetters[i], count: n), in: r, row: row, column: column,
                       style: stageStyles[i])
            column += n
        }
    }

    /// Cells per share so they add up to `width` exactly (nothing when every share is 0).
    static func cellCounts(_ shares: [Double], width: Int) -> [Int] {
        let total = shares.reduce(0, +)
        guard total > 0, width > 0 else { return shares.map { _ in 0 } }
        let exact = shares.map { $0 / total * Double(width) }
        var cells = exact.map { Int($0.rounded(.down)) }
        var left = width - cells.reduce(0, +)
        let order = exact.indices.sorted { exact[$0] - Double(cells[$0]) > exact[$1] - Double(cells[$1]) }
        for i in order where left > 0 { cells[i] += 1; left -= 1 }
        return cells
    }
}
