import CNcursesShim

/// The terminal as a canvas: draws into ncurses' standard screen (ncurses sends only what changed on refresh).
/// Used on the console's thread only, between `newterm` and `endwin`.
final class NcursesCanvas: Canvas {
    let glyphs: Glyphs
    private(set) var width: Int = 0
    private(set) var height: Int = 0
    private let color: Bool
    private let window: UnsafeMutablePointer<WINDOW>
    private let boldBits = dyno_attr_bold(), dimBits = dyno_attr_dim(), reverseBits = dyno_attr_reverse()

    /// Colour pair number per role (pair 0 is the terminal's default colours).
    static func pair(for role: ColorRole) -> Int16 { Int16(role.rawValue + 1) }

    init(glyphs: Glyphs, color: Bool) {
        self.glyphs = glyphs
        self.color = color
        window = dyno_stdscr()!
        updateSize()
    }

    /// Defines a colour pair per role on the terminal's default background (call once after start_color).
    static func defineColors() {
        _ = use_default_colors()
        let many = dyno_colors() >= 256
        for role in ColorRole.allCases {
            let fg: Int32
            switch role {
            case .normal: fg = -1
            case .title: fg = many ? 255 : Int32(COLOR_WHITE)
            case .accent: fg = many ? 75 : Int32(COLOR_BLUE)
            case .good: fg = many ? 77 : Int32(COLOR_GREEN)
            case .warning: fg = many ? 221 : Int32(COLOR_YELLOW)
            case .bad: fg = many ? 203 : Int32(COLOR_RED)
            case .muted: fg = many ? 244 : Int32(COLOR_WHITE)
            case .series1: fg = many ? 80 : Int32(COLOR_CYAN)
            case .series2: fg = many ? 177 : Int32(COLOR_MAGENTA)
            case .marker: fg = many ? 212 : Int32(COLOR_MAGENTA)
            case .focus: fg = many ? 214 : Int32(COLOR_YELLOW)
            }
            _ = init_pair(pair(for: role), Int16(fg), -1)
        }
    }

    func updateSize() {
        var rows: Int32 = 0, cols: Int32 = 0
        dyno_getmaxyx(window, &rows, &cols)
        height = Int(rows); width = Int(cols)
    }

    func clear() { werase(window) }

    func put(_ text: String, x: Int, y: Int, style: Style) {
        guard y >= 0, y < height, x < width, !text.isEmpty else { return }
        var s = glyphs.isUnicode ? text : Glyphs.asciiOnly(text)
        var column = x
        if column < 0 {
            s = String(s.dropFirst(-column)); column = 0
        }
        if column + s.count > width { s = String(s.prefix(width - column)) }
        var attrs: Int32 = 0
        if style.bold { attrs |= boldBits }
        if style.reverse { attrs |= reverseBits }
        if style.dim { attrs |= dimBits }
        var pair: Int16 = 0
        if color {
            pair = Self.pair(for: style.role)
        } else {
            // Without colour the roles that carry meaning still stand out.
            switch style.role {
            case .bad, .warning, .title, .focus: attrs |= boldBits
            case .muted: attrs |= dimBits
            default: break
            }
        }
        dyno_put(window, Int32(y), Int32(column), s, attrs, pair)
    }

    func refresh() { wrefresh(window) }
}
