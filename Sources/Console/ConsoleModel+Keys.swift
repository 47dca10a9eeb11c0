import Knobs
import Metrics

/// The console's own keys (htop/k9s conventions). Knob keys come from the registry; a knob whose key (or its
/// upper case, used to step back) is taken here is still reachable through presets, profiles and HTTP.
public enum ConsoleKeys {
    /// Characters the console keeps for itself.
    public static let reserved: Set<Character> = [
        "q", "?", "h", " ", "+", "=", "-", "_", "[", "]", "r", "m", "w", "(", ")", "<", ">", ",", ".", "I", "z", "N", "O", "v",
    ]

    /// (keys, what they do) for the help overlay, in display order.
    public static let help: [(String, String)] = [
        ("q / Ctrl-C", "quit (the terminal is restored)"),
        ("?", "this help (Esc or ? closes it)"),
        ("space", "pause / resume the load"),
        ("+ / -", "offered rate ×1.25 / ÷1.25 (open model)"),
        ("] / [", "more / fewer virtual users (closed model)"),
        ("Tab / arrows", "move between panels (Shift-Tab back)"),
        ("z", "zoom the focused panel"),
        ("w", "latency window: rolling ↔ whole run"),
        ("( / )", "shorter / longer rolling window (1 s…60 s)"),
        ("< / >", "routes: previous / next sort column (I reverses)"),
        ("v", "routes: client view ↔ server view (the backend's own figures)"),
        ("r", "reset statistics"),
        ("m", "mark a baseline, then A/B current vs mark; again to clear"),
        ("N / O", "knob preset: naive / optimized"),
    ]
}

extension ConsoleModel {
    /// Handles one key: view keys change this model; the rest come back as actions for the session.
    /// Knob keys cycle a choice knob forward (upper case: backward) or double an integer knob (upper case: halve).
    public mutating func handle(_ key: ConsoleKey, knobs: KnobRegistry?) -> [ConsoleAction] {
        if showHelp {
            switch key {
            case .escape, .character("?"), .character("h"), .enter: showHelp = false; return []
            case .character("q"): return [.quit]
            default: return []
            }
        }
        switch key {
        case .tab, .right, .down: moveFocus(by: 1); return []
        case .backTab, .left, .up: moveFocus(by: -1); return []
        case .escape:
            zoomed = false
            return []
        case .enter:
            zoomed.toggle()
            return []
        case .character(let c):
            return handle(character: c, knobs: knobs)
        }
    }

    private mutating func handle(character c: Character, knobs: KnobRegistry?) -> [ConsoleAction] {
        switch c {
        case "q": return [.quit]
        case "?", "h": showHelp = true; return []
        case " ":
            setFlash(latest?.paused == true ? "resuming load" : "pausing load")
            return [.togglePause]
        case "+", "=", "-", "_":
            let up = c == "+" || c == "="
            if case .closed = latest?.load.model {
                setFlash("closed model: [ and ] change the users")
                return []
            }
            setFlash(up ? "offered rate ×1.25" : "offered rate ÷1.25")
            return [.adjustRate(factor: up ? 1.25 : 1 / 1.25)]
        case "[", "]":
            guard case .closed(let users, _) = latest?.load.model else {
                setFlash("open model: + and - change the rate")
                return []
            }
            // Steps of about 10% so a large population moves in a few presses.
            let step = max(1, users / 10)
            setFlash(c == "]" ? "users +\(step)" : "users −\(step)")
            return [.adjustUsers(delta: c == "]" ? step : -step)]
        case "r":
            clearDerived()
            setFlash("statistics reset")
            return [.resetStatistics]
        case "m":
            toggleMark()
            if mark != nil, focus == .status { focus = .compare }
            if mark == nil, focus == .compare { focus = .status }
            return []
        case "w":
            windowMode = windowMode == .rolling ? .wholeRun : .rolling
            refreshShownSummary()
            setFlash("latency window: \(windowLabel)")
            return []
        case "(", ")":
            let choices = Self.windowChoices
            let i = choices.firstIndex(where: { $0 >= windowSeconds }) ?? choices.count - 1
            let j = c == "(" ? max(i - 1, 0) : min(i + 1, choices.count - 1)
            windowMode = .rolling
            setWindow(seconds: choices[j])
            setFlash("latency window: \(windowLabel)")
            return []
        case "<", ",", ">", ".":
            // htop's keys for the sort column.
            let all = RouteSort.allCases
            let step = c == "<" || c == "," ? all.count - 1 : 1
            routeSort = all[(all.firstIndex(of: routeSort)! + step) % all.count]
            setFlash("routes sorted by \(routeSort.rawValue)")
            return []
        case "I":
            routeSortDescending.toggle()
            setFlash(routeSortDescending ? "routes: descending" : "routes: ascending")
            return []
        case "z":
            zoomed.toggle()
            return []
        case "v":
            routesView = routesView == .client ? .server : .client
            setFlash(routesView == .server ? "routes: server view" : "routes: client view")
            return []
        case "N", "O":
            guard knobs != nil else { setFlash("external target: no knobs"); return [] }
            let preset: KnobPreset = c == "N" ? .naive : .optimized
            setFlash("preset \(preset.rawValue)")
            return [.applyPreset(preset)]
        default:
            return knobAction(for: c, knobs: knobs)
        }
    }

    private mutating func knobAction(for c: Character, knobs: KnobRegistry?) -> [ConsoleAction] {
        guard let knobs else {
            if c.isLetter { setFlash("knob keys are off: knobs belong to the embedded demo, the target is external") }
            return []
        }
        var forward = true
        var knob = knobs.knobs.first(where: { $0.definition.key == c })
        if knob == nil, c.isUppercase {
            let lower = Character(c.lowercased())
            knob = knobs.knobs.first(where: { $0.definition.key == lower })
            forward = false
        }
        guard let knob else { return [] }
        let next: String
        switch knob.definition.kind {
        case .choice(let values):
            let i = values.firstIndex(of: knob.value) ?? 0
            next = values[(i + (forward ? 1 : values.count - 1)) % values.count]
        case .integer(let range):
            let v = Int(knob.value) ?? range.lowerBound
            // Sizes matter by orders of magnitude: double / halve, always moving by at least one.
            let n = forward ? max(v * 2, v + 1) : min(v / 2, v - 1)
            next = String(min(max(n, range.lowerBound), range.upperBound))
        }
        guard next != knob.value else {
            setFlash("\(knob.id) already at \(next)")
            return []
        }
        setFlash("\(knob.id) → \(next)")
        return [.setKnob(id: knob.id, value: next)]
    }

    /// Panels the focus can visit, in order.
    public var focusOrder: [PanelID] {
        var order: [PanelID] = [.latency, .overTime, .routes, mark == nil ? .status : .compare]
        order += PanelID.backend
        return order
    }

    mutating func moveFocus(by step: Int) {
        let order = focusOrder
        let i = order.firstIndex(of: focus) ?? 0
        focus = order[(i + step + order.count) % order.count]
        if PanelID.backend.contains(focus) { backendTab = focus }
    }
}
