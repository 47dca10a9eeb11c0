import Foundation
import Metrics

/// Routes: one row per request-mix route (rate, p50, p95, p99, errors), sortable with `<` / `>` (`I` reverses).
enum RoutesPanel {
    struct Row {
        var name: String
        var order: Int
        var rate: Double
        var latency: LatencySummary
        var errorRate: Double
    }

    static func rows(_ ctx: RenderContext) -> [Row] {
        guard let s = ctx.snapshot else { return [] }
        let model = ctx.model
        var rows: [Row] = []
        for (i, route) in s.routes.enumerated() {
            switch model.windowMode {
            case .rolling:
                let second = model.routeSeconds[route.name]
                rows.append(Row(name: route.name, order: i, rate: second?.rate ?? 0,
                                latency: second?.latency ?? LatencySummary(), errorRate: second?.errorRate ?? 0))
            case .wholeRun:
                let elapsed = max(s.elapsedSeconds, 0.001)
                rows.append(Row(name: route.name, order: i, rate: Double(route.total.completed) / elapsed,
                                latency: route.latencyTotal, errorRate: route.total.unexpectedErrorRate))
            }
        }
        let key: (Row) -> Double
        switch model.routeSort {
        case .mix: key = { -Double($0.order) }
        case .rate: key = { $0.rate }
        case .p50: key = { Double($0.latency.p50) }
        case .p95: key = { Double($0.latency.p95) }
        case .p99: key = { Double($0.latency.p99) }
        case .errors: key = { $0.errorRate }
        }
        rows.sort { a, b in
            let (ka, kb) = (key(a), key(b))
            if ka == kb { return a.order < b.order }
            return model.routeSortDescending ? ka > kb : ka < kb
        }
        return rows
    }

    static func draw(_ ctx: RenderContext, in r: Rect) {
        let canvas = ctx.canvas
        let rows = rows(ctx)
        guard !rows.isEmpty else {
            canvas.put("no routes yet", in: r, row: 0, style: .muted)
            return
        }
        // Columns by priority: p95 goes first when the name would get too narrow.
        var columns: [ConsoleModel.RouteSort] = [.rate, .p50, .p95, .p99, .errors]
        let cell = 7
        if r.width - columns.count * cell < 14 { columns.removeAll { $0 == .p95 } }
        if r.width - columns.count * cell < 14 { columns.removeAll { $0 == .p50 } }
        let nameWidth = r.width - columns.count * cell
        let arrow = ctx.model.routeSortDescending ? ctx.glyphs.arrowDown : ctx.glyphs.arrowUp
        let sort = ctx.model.routeSort
        var header = Text.left("route" + (sort == .mix ? arrow : ""), nameWidth)
        for c in columns {
            let label = c == .errors ? "err" : c == .rate ? "rate/s" : c.rawValue
            header += Text.right(label + (c == sort ? arrow : ""), cell)
        }
        canvas.put(header, in: r, row: 0, style: .muted)
        let longest = rows.map(\.name.count).max() ?? 0
        let prefix = longest >= nameWidth ? commonPathPrefix(rows.map(\.name)) : ""
        let room = r.height - 1
        let visible = rows.count > room ? max(room - 1, 0) : rows.count
        for (i, row) in rows.prefix(visible).enumerated() {
            canvas.put(Text.left(shortName(row.name, dropping: prefix), nameWidth - 1), in: r, row: i + 1)
            var x = nameWidth
            for c in columns {
                let text: String
                var style = Style.normal
                switch c {
                case .rate: text = Text.count(row.rate)
                case .p50: text = Text.duration(nanoseconds: row.latency.p50)
                case .p95: text = Text.duration(nanoseconds: row.latency.p95)
                case .p99: text = Text.duration(nanoseconds: row.latency.p99); style = Style(.warning)
                case .errors:
                    text = Text.percent(row.errorRate)
                    style = row.errorRate > 0 ? .bad : .muted
                case .mix: text = ""
                }
                canvas.put(Text.right(text, cell), in: r, row: i + 1, column: x, style: style)
                x += cell
            }
        }
        if visible < rows.count {
            canvas.put("+\(rows.count - visible) more routes (z zooms)", in: r, row: room, style: .muted)
        }
    }

    /// The path prefix every route shares ("/api"), so narrow tables show what differs.
    static func commonPathPrefix(_ names: [String]) -> String {
        let paths = names.map { name -> Substring in
            let parts = name.split(separator: " ", maxSplits: 1)
            return parts.count == 2 ? parts[1] : Substring(name)
        }
        guard paths.count > 1, var prefix = paths.first.map(String.init) else { return "" }
        for p in paths.dropFirst() {
            while !prefix.isEmpty, !p.hasPrefix(prefix) { prefix.removeLast() }
        }
        // Only whole segments: cut back to the last "/" and keep the leading one.
        guard let slash = prefix.lastIndex(of: "/") else { return "" }
        let cut = String(prefix[..<slash])
        return cut.count > 1 ? cut : ""
    }

    /// "GET /api/articles" → "GET /articles" when every route starts with "/api".
    static func shortName(_ name: String, dropping prefix: String) -> String {
        guard !prefix.isEmpty, let range = name.range(of: " " + prefix + "/") else { return name }
        return name.replacingCharacters(in: range, with: " /")
    }
}
