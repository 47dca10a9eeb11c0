import Metrics

/// Status: responses by status class and transport errors by kind (timeouts, refused, reset…) over time.
enum StatusPanel {
    struct Category: Sendable {
        let label: String
        let style: Style
        let value: @Sendable (SecondSample) -> Double
    }

    static let categories: [Category] = {
        var c: [Category] = [Category(label: "2xx", style: .good) { $0.statusPerSecond[1] }]
        c.append(Category(label: "5xx", style: .bad) { $0.statusPerSecond[4] })
        c.append(Category(label: "4xx", style: Style(.warning)) { $0.statusPerSecond[3] })
        let names: [TransportErrorKind: String] = [
            .timeout: "timeout", .refused: "refused", .reset: "reset", .badResponse: "bad resp", .other: "other",
        ]
        for (i, kind) in TransportErrorKind.allCases.enumerated() {
            c.append(Category(label: names[kind] ?? kind.rawValue, style: .bad) { $0.transportPerSecond[i] })
        }
        c.append(Category(label: "3xx", style: .accent) { $0.statusPerSecond[2] })
        c.append(Category(label: "1xx", style: .muted) { $0.statusPerSecond[0] })
        return c
    }()

    static func draw(_ ctx: RenderContext, in full: Rect) {
        let canvas = ctx.canvas
        // The backend's internal-error lines, when there are any, take the bottom rows.
        let probe = ctx.model.latest?.backend?.internalErrors
        let errorRows = InternalErrorLines.rows(probe, height: full.height)
        if let probe, errorRows > 0 {
            InternalErrorLines.draw(probe, canvas: canvas,
                                    in: Rect(x: full.x, y: full.maxY - errorRows, width: full.width, height: errorRows))
        }
        let r = Rect(x: full.x, y: full.y, width: full.width, height: full.height - errorRows)
        let samples = ctx.model.seconds.elements
        guard let newest = samples.last else {
            canvas.put("no data yet (one point per second)", in: r, row: 0, style: .muted)
            return
        }
        let shown = Array(samples.suffix(max(r.width - 18, 1)))
        // Unexpected errors (what a correct server would not answer); expected ones (declared by routes) apart.
        canvas.put("errors ", in: r, row: 0, style: .muted)
        canvas.put(Text.percent(newest.unexpectedErrorRate), in: r, row: 0, column: 7, style: newest.unexpectedErrorRate > 0 ? .bad : .good)
        let expected = newest.errorsPerSecond - newest.unexpectedPerSecond
        let detail = "(" + Text.count(newest.unexpectedPerSecond) + "/s) last 1s"
            + (expected > 0 ? " · expected " + Text.count(expected) + "/s" : "")
        canvas.put(detail, in: r, row: 0, column: 8 + Text.percent(newest.unexpectedErrorRate).count, style: .muted)

        // 2xx always; the others once they occurred in the visible span, worst (most frequent) first.
        var rows: [(Category, [Double])] = []
        var others: [(Category, [Double], Double)] = []
        for (i, category) in categories.enumerated() {
            let values = shown.map(category.value)
            let total = values.reduce(0, +)
            if i == 0 { rows.append((category, values)) } else if total > 0 { others.append((category, values, total)) }
        }
        rows += others.sorted { $0.2 > $1.2 }.map { ($0.0, $0.1) }
        let room = r.height - 1
        for (i, row) in rows.prefix(room).enumerated() {
            let (category, values) = row
            canvas.put(Text.left(category.label, 9), in: r, row: i + 1, style: category.style)
            canvas.put(Text.right(Text.count(values.last ?? 0) + "/s", 8), in: r, row: i + 1, column: 9)
            let spark = Charts.sparkline(values, width: r.width - 18, glyphs: ctx.glyphs)
            canvas.put(spark, in: r, row: i + 1, column: 18, style: category.style)
        }
        if rows.count == 1, room >= 2 {
            canvas.put("no errors in the last \(shown.count)s", in: r, row: 2, style: .muted)
        } else if rows.count > room, room >= 1 {
            // Over the header's "last 1s" (less useful than knowing rows are hidden).
            let note = " +\(rows.count - room) more (z zooms)"
            let header = 8 + Text.percent(newest.unexpectedErrorRate).count + Text.count(newest.unexpectedPerSecond).count + 5
            if header + note.count <= r.width {
                canvas.put(Text.left(note, r.width - header), x: r.x + header, y: r.y, style: .muted)
            }
        }
    }
}
