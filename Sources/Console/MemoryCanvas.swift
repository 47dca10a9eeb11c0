/// An in-memory grid of cells: for golden-frame tests and for `dyno screenshot` (plain text or SVG).
public final class MemoryCanvas: Canvas {
    public struct Cell: Sendable, Equatable {
        public var character: Character
        public var style: Style
    }

    public let width: Int
    public let height: Int
    public let glyphs: Glyphs
    /// Row-major cells.
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, glyphs: Glyphs = .unicode) {
        self.width = max(0, width); self.height = max(0, height); self.glyphs = glyphs
        cells = Array(repeating: Cell(character: " ", style: .normal), count: self.width * self.height)
    }

    public func clear() {
        for i in cells.indices { cells[i] = Cell(character: " ", style: .normal) }
    }

    public func put(_ text: String, x: Int, y: Int, style: Style) {
        guard y >= 0, y < height else { return }
        var column = x
        for ch in glyphs.isUnicode ? text : Glyphs.asciiOnly(text) {
            if column >= width { break }
            if column >= 0 { cells[y * width + column] = Cell(character: ch, style: style) }
            column += 1
        }
    }

    public func cell(x: Int, y: Int) -> Cell { cells[y * width + x] }

    /// Row `y` as a string (trailing spaces kept).
    public func line(_ y: Int) -> String {
        String(cells[(y * width)..<((y + 1) * width)].map(\.character))
    }

    /// The whole frame as text: one line per row, trailing spaces removed, "\n" after every row.
    public var text: String {
        var out = ""
        for y in 0..<height {
            var l = line(y)
            while l.last == " " { l.removeLast() }
            out += l + "\n"
        }
        return out
    }

    /// The frame as a standalone SVG document: monospace text on a dark background, one `<text>` per run of
    /// equally styled cells, reverse-video cells as filled rectangles.
    public func svg(cellWidth: Int = 8, cellHeight: Int = 16, background: String = "#1c1c1c") -> String {
        let w = width * cellWidth, h = height * cellHeight
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(w)" height="\(h)" viewBox="0 0 \(w) \(h)">
        <rect width="100%" height="100%" fill="\(background)"/>
        <g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="\(cellHeight * 13 / 16)px" xml:space="preserve">

        """
        for y in 0..<height {
            var x = 0
            while x < width {
                let style = cells[y * width + x].style
                var end = x
                var run = ""
                while end < width, cells[y * width + end].style == style {
                    run.append(cells[y * width + end].character)
                    end += 1
                }
                let fg = style.role.svgColor
                if style.reverse {
                    out += "<rect x=\"\(x * cellWidth)\" y=\"\(y * cellHeight)\" width=\"\((end - x) * cellWidth)\" height=\"\(cellHeight)\" fill=\"\(fg)\"/>\n"
                }
                if run.contains(where: { $0 != " " }) {
                    // Block and box glyphs are drawn as text too; textLength keeps every run on the cell grid.
                    var attributes = "x=\"\(x * cellWidth)\" y=\"\(y * cellHeight + cellHeight * 3 / 4)\" textLength=\"\((end - x) * cellWidth)\" lengthAdjust=\"spacingAndGlyphs\""
                    attributes += " fill=\"\(style.reverse ? background : fg)\""
                    if style.bold { attributes += " font-weight=\"bold\"" }
                    if style.dim { attributes += " opacity=\"0.6\"" }
                    out += "<text \(attributes)>\(Self.escape(run))</text>\n"
                }
                x = end
            }
        }
        out += "</g>\n</svg>\n"
        return out
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}
