import Knobs
import Metrics

/// Everything a panel needs to draw itself.
struct RenderContext {
    let model: ConsoleModel
    let knobs: KnobRegistry?
    let canvas: Canvas
    let finished: Bool
    var glyphs: Glyphs { canvas.glyphs }
    var snapshot: Snapshot? { model.latest }
}

/// Draws a whole frame of the console from a model: header, panels in their layout, help bar, help overlay.
/// The same code draws on the terminal (`NcursesCanvas`) and in memory (`MemoryCanvas`).
public enum ConsoleRenderer {
    /// Draws one frame. `finished` adds "finished" to the header (the run ended; the last frame stays).
    public static func draw(_ model: ConsoleModel, knobs: KnobRegistry?, on canvas: Canvas, finished: Bool = false) {
        canvas.clear()
        let ctx = RenderContext(model: model, knobs: knobs, canvas: canvas, finished: finished)
        let knobLines = Header.knobLines(ctx, width: canvas.width)
        let layout = Layout(width: canvas.width, height: canvas.height, headerHeight: 2 + knobLines.count,
                            comparing: model.mark != nil, zoomed: model.zoomed ? model.focus : nil)
        guard let header = layout.header, let helpBar = layout.helpBar else {
            drawTooSmall(canvas)
            return
        }
        Header.draw(ctx, in: header, knobLines: knobLines)
        for slot in layout.slots { drawSlot(slot, ctx) }
        HelpBar.draw(ctx, in: helpBar)
        if model.showHelp { HelpOverlay.draw(ctx) }
    }

    static func drawTooSmall(_ canvas: Canvas) {
        let times = canvas.glyphs.isUnicode ? "×" : "x"
        let lines = [
            "terminal too small",
            "(need \(Layout.minimumWidth)\(times)\(Layout.minimumHeight), have \(canvas.width)\(times)\(canvas.height))",
            "enlarge the window, or q to quit",
        ]
        let top = max(0, canvas.height / 2 - 1)
        for (i, line) in lines.enumerated() {
            let text = Text.fit(line, canvas.width)
            canvas.put(text, x: max(0, (canvas.width - text.count) / 2), y: top + i, style: i == 0 ? .warning : .normal)
        }
    }

    static func drawSlot(_ slot: Layout.Slot, _ ctx: RenderContext) {
        let model = ctx.model
        let panel: PanelID
        if slot.panels.count == 1 {
            panel = slot.panels[0]
        } else {
            panel = slot.panels.contains(model.focus) ? model.focus : (slot.panels.contains(model.backendTab) ? model.backendTab : slot.panels[0])
        }
        let focused = panel == model.focus
        let canvas = ctx.canvas
        if slot.panels.count > 1 {
            canvas.box(slot.rect, title: "", focused: focused)
            drawTabs(slot, shown: panel, focused: focused, ctx)
        } else {
            canvas.box(slot.rect, title: title(of: panel, ctx), focused: focused)
        }
        let inner = Rect(x: slot.rect.x + 1, y: slot.rect.y + 1, width: slot.rect.width - 2, height: slot.rect.height - 2)
        guard inner.width > 0, inner.height > 0 else { return }
        switch panel {
        case .latency: LatencyPanel.draw(ctx, in: inner)
        case .overTime: OverTimePanel.draw(ctx, in: inner)
        case .routes:
            if model.routesView == .server { ServerRoutesPanel.draw(ctx, in: inner) } else { RoutesPanel.draw(ctx, in: inner) }
        case .status: StatusPanel.draw(ctx, in: inner)
        case .compare: ComparePanel.draw(ctx, in: inner)
        case .cache, .pool, .breaker, .jobs, .memory: BackendPanels.draw(panel, ctx, in: inner)
        }
    }

    /// Tabs in the top edge of a shared slot: the shown panel highlighted.
    static func drawTabs(_ slot: Layout.Slot, shown: PanelID, focused: Bool, _ ctx: RenderContext) {
        var x = slot.rect.x + 2
        let limit = slot.rect.maxX - 2
        for panel in slot.panels {
            let label = " \(panel.rawValue) "
            guard x + label.count <= limit else { break }
            let style: Style = panel == shown ? Style(focused ? .focus : .title, bold: true, reverse: true) : .muted
            ctx.canvas.put(label, x: x, y: slot.rect.y, style: style)
            x += label.count
        }
    }

    static func title(of panel: PanelID, _ ctx: RenderContext) -> String {
        let m = ctx.model
        switch panel {
        case .latency:
            let n = m.shownLatency.corrected.count
            return "Latency · \(m.windowLabel) · n=\(Text.count(n))"
        case .routes where m.routesView == .server:
            return "Routes · server view · last 1s"
        case .routes:
            return "Routes · \(m.windowMode == .rolling ? "last 1s" : "whole run") · sort \(m.routeSort.rawValue)"
        case .compare:
            return "A/B vs mark"
        default:
            return panel.rawValue
        }
    }
}

/// The top lines: what runs, the load offered vs achieved, and the knobs.
enum Header {
    static func draw(_ ctx: RenderContext, in rect: Rect, knobLines: [[(String, Style)]]) {
        let canvas = ctx.canvas
        let s = ctx.snapshot
        // Line 0: name, title, phase, elapsed.
        var x = rect.x
        func put(_ text: String, _ style: Style, row: Int) {
            guard x < rect.maxX else { return }
            let t = Text.fit(text, rect.maxX - x)
            canvas.put(t, x: x, y: rect.y + row, style: style)
            x += t.count
        }
        // Phase, clock and state first: the title is the part that may be cut on a narrow terminal.
        put(" dyno ", Style(.title, bold: true, reverse: true), row: 0)
        if let s {
            put(" " + s.phase.rawValue, s.phase == .measuring ? .good : .accent, row: 0)
            put(" " + Text.clock(s.elapsedSeconds), Style(.normal, bold: true), row: 0)
            if s.paused { put("  PAUSED", .warning, row: 0) }
        }
        if ctx.finished { put("  FINISHED (q quits)", .warning, row: 0) }
        if let progress = s?.backend?.indexBuildProgress {
            put("  " + indexProgress(progress, glyphs: ctx.glyphs), .warning, row: 0)
        }
        put("  " + ctx.model.title, .title, row: 0)
        if s == nil { put("  waiting for the first snapshot…", .muted, row: 0) }

        // Line 1: the load.
        x = rect.x
        guard let s else { return }
        let load = s.load
        put(" ", .normal, row: 1)
        switch load.model {
        case .open(let rate):
            put("offered ", .muted, row: 1); put(Text.count(load.offeredRate) + "/s", .normal, row: 1)
            if abs(rate - load.offeredRate) > max(1, rate * 0.05) {
                put(" (target \(Text.count(rate))/s)", .muted, row: 1)
            }
        case .closed(let users, let think):
            put("users ", .muted, row: 1); put("\(users)", .normal, row: 1)
            put(" think \(Text.duration(seconds: think))", .muted, row: 1)
            put("  offered ", .muted, row: 1); put(Text.count(load.offeredRate) + "/s", .normal, row: 1)
        }
        put("  achieved ", .muted, row: 1)
        let keepingUp = load.offeredRate <= 0 || load.achievedRate >= load.offeredRate * 0.95
        put(Text.count(load.achievedRate) + "/s", keepingUp ? Style(.good, bold: true) : Style(.warning, bold: true), row: 1)
        put("  in-flight ", .muted, row: 1); put("\(load.inFlight)", .normal, row: 1)
        put("  conns ", .muted, row: 1); put("\(load.openConnections)", .normal, row: 1)
        // Errors a correct server would not answer; those the routes declare (a 409 on a repeat) shown apart.
        let errorRate = ctx.model.lastSecond?.unexpectedErrorRate ?? load.interval.unexpectedErrorRate
        put("  errors ", .muted, row: 1); put(Text.percent(errorRate), errorRate > 0 ? .bad : .normal, row: 1)
        let expectedRate = (ctx.model.lastSecond?.errorRate ?? load.interval.errorRate) - errorRate
        if expectedRate > 0 { put(" +" + Text.percent(expectedRate) + " expected", .muted, row: 1) }
        if let warning = generatorWarning(load.generator, glyphs: ctx.glyphs) {
            put("  " + warning, .warning, row: 1)
        }

        // Knob lines.
        for (i, line) in knobLines.enumerated() {
            x = rect.x
            for (text, style) in line { put(text, style, row: 2 + i) }
        }
    }

    /// "indexes: building 45% █████░░░░░" while the backend creates or drops indexes live.
    static func indexProgress(_ progress: Double, glyphs: Glyphs) -> String {
        let p = progress.isFinite ? min(max(progress, 0), 1) : 0
        let bar = Charts.saturation(p, width: 10, glyphs: glyphs)
        return "indexes: building \(Int((p * 100).rounded(.down)))% " + bar.filled + bar.empty
    }

    /// "⚠ server saturated: 64/64 connections waiting, …" or "⚠ generator is the bottleneck: limited by cpu, …"
    /// (`GeneratorHealth.bottleneck` tells them apart), nil when the load keeps its schedule.
    static func generatorWarning(_ g: GeneratorHealth, glyphs: Glyphs) -> String? {
        guard let message = g.bottleneck.message(duration: { Text.duration(seconds: $0) }) else { return nil }
        return (glyphs.isUnicode ? "⚠ " : "! ") + message
    }

    /// The preset and every knob as "[key] id=value", wrapped to `width` (at most 3 lines).
    static func knobLines(_ ctx: RenderContext, width: Int) -> [[(String, Style)]] {
        guard let knobs = ctx.knobs else {
            return [[(" knobs: none (external target) · knob keys are off: knobs belong to the embedded demo backend", .muted)]]
        }
        var items: [[(String, Style)]] = [[("preset ", .muted), (presetName(knobs), .accent)]]
        for knob in knobs.knobs {
            var item: [(String, Style)] = []
            if let key = knob.definition.key { item.append(("[\(key)]", Style(.accent, bold: true))) }
            item.append((knob.id + "=", .muted))
            let d = knob.definition
            // Optimizations: naive in warning colour. Faults: anything but the default (healthy) value is a warning.
            let warn = d.group == .fault ? knob.value != d.defaultValue
                                         : knob.value == d.naiveValue && d.naiveValue != d.optimizedValue
            item.append((knob.value, warn ? Style(.warning) : Style(.good)))
            items.append(item)
        }
        var lines: [[(String, Style)]] = []
        var line: [(String, Style)] = []
        var used = 0
        for item in items {
            let w = item.reduce(0) { $0 + $1.0.count } + 2
            if used + w > width, !line.isEmpty {
                lines.append(line); line = []; used = 0
                if lines.count == 3 { break }
            }
            line.append((line.isEmpty ? " " : "  ", .normal)); line += item; used += w
        }
        if !line.isEmpty, lines.count < 3 { lines.append(line) }
        return lines
    }

    /// "naive", "optimized" or "default" when every optimization knob matches that setting, else "custom"
    /// (fault knobs are not part of a preset).
    static func presetName(_ knobs: KnobRegistry) -> String {
        let all = knobs.knobs.filter { $0.definition.group == .optimization }
        if all.allSatisfy({ $0.value == $0.definition.defaultValue }) { return "default" }
        if all.allSatisfy({ $0.value == $0.definition.optimizedValue }) { return "optimized" }
        if all.allSatisfy({ $0.value == $0.definition.naiveValue }) { return "naive" }
        return "custom"
    }
}

/// The bottom line: the main keys, or a short message after a key.
enum HelpBar {
    static let items: [(String, String)] = [
        ("q", "quit"), ("?", "help"), ("space", "pause"), ("+/-", "rate"), ("[/]", "users"), ("Tab", "panel"),
        ("w", "window"), ("<>", "sort"), ("v", "server view"), ("m", "mark"), ("r", "reset"), ("N/O", "preset"),
    ]

    static func draw(_ ctx: RenderContext, in rect: Rect) {
        let canvas = ctx.canvas
        canvas.fill(rect, style: Style(.normal, reverse: true))
        var x = rect.x
        var right = ""
        if let flash = ctx.model.flash { right = " " + flash + " " }
        let limit = rect.maxX - right.count
        for (key, item) in items {
            let what = key == "v" && ctx.model.routesView == .server ? "client view" : item
            let w = key.count + what.count + 3
            guard x + w <= limit else { break }
            canvas.put(" " + key, x: x, y: rect.y, style: Style(.title, bold: true, reverse: true))
            canvas.put(" " + what + " ", x: x + key.count + 1, y: rect.y, style: Style(.normal, reverse: true))
            x += w
        }
        if !right.isEmpty {
            canvas.put(Text.fit(right, rect.width), x: max(rect.x, rect.maxX - right.count), y: rect.y, style: Style(.accent, bold: true, reverse: true))
        }
    }
}

/// The `?` overlay: every key, knob keys included.
enum HelpOverlay {
    static func draw(_ ctx: RenderContext) {
        let canvas = ctx.canvas
        var lines: [(String, String, Style)] = ConsoleKeys.help.map { ($0.0, $0.1, .normal) }
        if let knobs = ctx.knobs {
            lines.append(("", "", .normal))
            lines.append(("knob keys", "(upper case steps back; integers double / halve)", .muted))
            for knob in knobs.knobs {
                let d = knob.definition
                let key = d.key.map { k in
                    ConsoleKeys.reserved.contains(k) ? "(\(k) taken)" : String(k)
                } ?? "-"
                lines.append((key, "\(d.id) = \(knob.value) [\(d.allowedDescription)] \(d.summary)", .normal))
            }
        } else {
            lines.append(("", "", .normal))
            lines.append(("knobs", "none: the target is external", .muted))
        }
        // On a short terminal: no padding row, no blank separator, the whole height (every knob stays listed).
        let compact = lines.count + 4 > canvas.height - 2
        if compact { lines.removeAll { $0.0.isEmpty && $0.1.isEmpty } }
        let width = min(canvas.width - 4, 96)
        let height = compact ? min(canvas.height, lines.count + 2) : lines.count + 4
        let rect = Rect(x: (canvas.width - width) / 2, y: (canvas.height - height) / 2, width: width, height: height)
        canvas.fill(rect)
        canvas.box(rect, title: "Keys", focused: true)
        let pad = compact ? 1 : 2
        let inner = Rect(x: rect.x + 2, y: rect.y + pad, width: rect.width - 4, height: rect.height - pad - 1)
        for (i, line) in lines.prefix(inner.height).enumerated() {
            canvas.put(Text.left(line.0, 14), in: inner, row: i, style: Style(.accent, bold: true))
            canvas.put(line.1, in: inner, row: i, column: 15, style: line.2)
        }
    }
}
