/// Where each panel goes for a terminal size: a pure function of the size and a few view flags.
public struct Layout: Sendable, Equatable {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    /// A place on screen; several panels in one slot share it (the slot shows one of them, with tabs).
    public struct Slot: Sendable, Equatable {
        public var rect: Rect
        public var panels: [PanelID]
    }

    public var width: Int
    public var height: Int
    /// Nil when the terminal is below the minimum size.
    public var header: Rect?
    public var slots: [Slot]
    public var helpBar: Rect?

    public var isTooSmall: Bool { header == nil }

    /// - Parameters:
    ///   - headerHeight: rows the header needs (2 fixed lines plus the knob summary lines).
    ///   - comparing: an A/B mark is set (the Status slot shows the comparison and needs more rows).
    ///   - zoomed: the focused panel takes the whole body.
    public init(width: Int, height: Int, headerHeight: Int = 3, comparing: Bool = false, zoomed: PanelID? = nil) {
        self.width = width; self.height = height
        guard width >= Self.minimumWidth, height >= Self.minimumHeight else {
            header = nil; slots = []; helpBar = nil
            return
        }
        let headerRows = min(max(headerHeight, 2), 5)
        header = Rect(x: 0, y: 0, width: width, height: headerRows)
        helpBar = Rect(x: 0, y: height - 1, width: width, height: 1)
        let body = Rect(x: 0, y: headerRows, width: width, height: height - headerRows - 1)
        let statusPanel: PanelID = comparing ? .compare : .status

        if let zoomed {
            slots = [Slot(rect: body, panels: [zoomed])]
        } else if width >= 120 && height >= 36 {
            // Three bands: latency | over time; routes | status; the backend panels side by side.
            let top = body.height * 2 / 5
            let middle = body.height * 3 / 10
            let bottom = body.height - top - middle
            let half = width / 2
            var s: [Slot] = [
                Slot(rect: Rect(x: 0, y: body.y, width: half, height: top), panels: [.latency]),
                Slot(rect: Rect(x: half, y: body.y, width: width - half, height: top), panels: [.overTime]),
                Slot(rect: Rect(x: 0, y: body.y + top, width: half, height: middle), panels: [.routes]),
                Slot(rect: Rect(x: half, y: body.y + top, width: width - half, height: middle), panels: [statusPanel]),
            ]
            let n = PanelID.backend.count
            for (i, panel) in PanelID.backend.enumerated() {
                let x0 = width * i / n, x1 = width * (i + 1) / n
                s.append(Slot(rect: Rect(x: x0, y: body.y + top + middle, width: x1 - x0, height: bottom), panels: [panel]))
            }
            slots = s
        } else {
            // Two columns; the backend panels share one slot (Tab or the focus picks which one shows).
            let left = width / 2
            let latencyRows = body.height / 2
            let routesRows = max(6, body.height * 3 / 10)
            let statusRows = comparing ? 8 : max(5, body.height / 4)
            let backendRows = body.height - routesRows - statusRows
            slots = [
                Slot(rect: Rect(x: 0, y: body.y, width: left, height: latencyRows), panels: [.latency]),
                Slot(rect: Rect(x: 0, y: body.y + latencyRows, width: left, height: body.height - latencyRows), panels: [.overTime]),
                Slot(rect: Rect(x: left, y: body.y, width: width - left, height: routesRows), panels: [.routes]),
                Slot(rect: Rect(x: left, y: body.y + routesRows, width: width - left, height: statusRows), panels: [statusPanel]),
                Slot(rect: Rect(x: left, y: body.y + routesRows + statusRows, width: width - left, height: backendRows),
                     panels: PanelID.backend),
            ]
        }
    }

    /// The rectangle of `panel` when it is on screen (shown in its slot, given the backend tab).
    public func rect(of panel: PanelID, backendTab: PanelID) -> Rect? {
        for slot in slots where slot.panels.contains(panel) {
            if slot.panels.count == 1 || panel == backendTab { return slot.rect }
        }
        return nil
    }
}
