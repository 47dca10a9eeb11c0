/// What a cell's colour means; each canvas maps roles to real colours (or, without colour, to attributes).
public enum ColorRole: Int, Sendable, CaseIterable {
    case normal, title, accent, good, warning, bad, muted, series1, series2, marker, focus

    /// Foreground colour in the SVG rendering and the 256-colour fallback ("#rrggbb").
    var svgColor: String {
        switch self {
        case .normal: return "#d0d0d0"
        case .title: return "#ffffff"
        case .accent: return "#5fafff"
        case .good: return "#5fd75f"
        case .warning: return "#ffd75f"
        case .bad: return "#ff5f5f"
        case .muted: return "#808080"
        case .series1: return "#5fd7d7"
        case .series2: return "#d787ff"
        case .marker: return "#ff87d7"
        case .focus: return "#ffaf00"
        }
    }
}

/// How a piece of text looks: a colour role plus attributes.
public struct Style: Sendable, Equatable, Hashable {
    public var role: ColorRole
    public var bold: Bool
    public var dim: Bool
    public var reverse: Bool

    public init(_ role: ColorRole = .normal, bold: Bool = false, dim: Bool = false, reverse: Bool = false) {
        self.role = role; self.bold = bold; self.dim = dim; self.reverse = reverse
    }

    public static let normal = Style()
    public static let title = Style(.title, bold: true)
    public static let muted = Style(.muted)
    public static let good = Style(.good)
    public static let warning = Style(.warning, bold: true)
    public static let bad = Style(.bad, bold: true)
    public static let accent = Style(.accent)
}

/// A surface panels draw into: a grid of `width` × `height` single-width cells.
///
/// `NcursesCanvas` draws on the terminal; `MemoryCanvas` keeps the cells (golden tests, screenshots).
/// Text is clipped to the canvas; every glyph used by the console occupies exactly one cell.
public protocol Canvas: AnyObject {
    var width: Int { get }
    var height: Int { get }
    /// Which glyph set to draw with (Unicode blocks and box lines, or ASCII).
    var glyphs: Glyphs { get }
    /// Blanks every cell.
    func clear()
    /// Writes `text` starting at column `x`, row `y`; characters outside the canvas are dropped.
    func put(_ text: String, x: Int, y: Int, style: Style)
}

/// A rectangle of cells.
public struct Rect: Sendable, Equatable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    /// The rectangle shrunk by `n` cells on each side (the inside of a box).
    public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }
    public var description: String { "\(x),\(y) \(width)×\(height)" }
}

extension Canvas {
    /// Writes `text` inside `rect` at row `row` (relative), clipped to the rect's width.
    public func put(_ text: String, in rect: Rect, row: Int, column: Int = 0, style: Style = .normal) {
        guard row >= 0, row < rect.height, column < rect.width else { return }
        let room = rect.width - max(column, 0)
        put(Text.fit(text, room), x: rect.x + max(column, 0), y: rect.y + row, style: style)
    }

    /// Fills `rect` with spaces.
    public func fill(_ rect: Rect, style: Style = .normal) {
        guard rect.width > 0 else { return }
        let blank = String(repeating: " ", count: rect.width)
        for y in rect.y..<rect.maxY { put(blank, x: rect.x, y: y, style: style) }
    }

    /// Draws a box around `rect` with `title` in its top edge (highlighted when `focused`).
    public func box(_ rect: Rect, title: String, focused: Bool = false) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let g = glyphs
        let edge = focused ? Style(.focus, bold: true) : Style.muted
        let inner = rect.width - 2
        put(g.topLeft + String(repeating: g.horizontal, count: inner) + g.topRight, x: rect.x, y: rect.y, style: edge)
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            put(g.vertical, x: rect.x, y: y, style: edge)
            put(g.vertical, x: rect.maxX - 1, y: y, style: edge)
        }
        put(g.bottomLeft + String(repeating: g.horizontal, count: inner) + g.bottomRight, x: rect.x, y: rect.maxY - 1, style: edge)
        if !title.isEmpty, inner > 4 {
            put(" " + Text.fit(title, inner - 3) + " ", x: rect.x + 1, y: rect.y, style: focused ? Style(.focus, bold: true) : .title)
        }
    }
}
