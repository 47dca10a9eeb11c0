import Foundation

/// The one SVG drawing helper every report chart uses: a titled canvas with a plot area, axes with round ticks,
/// line series, bars, vertical event markers and a legend. Every series is a `<g class="series" data-series=…>`
/// so a reader (or a test) can find it. Output is standalone SVG 1.1 (written as a file, or inlined in HTML).
struct SVGChart {
    let width: Double
    let height: Double
    let title: String
    /// The plot area inside the margins.
    let left = 64.0, top = 40.0, rightMargin = 24.0, bottomMargin = 48.0
    var x: Axis
    var y: Axis
    private var parts: [String] = []
    private var legend: [(name: String, color: String)] = []

    /// A linear or logarithmic axis over `lower...upper`.
    struct Axis {
        var lower: Double
        var upper: Double
        var logarithmic = false
        var label: String
        /// Formats a tick value.
        var format: (Double) -> String = { SVGChart.number($0) }
        /// Named slots instead of numbers (bar groups): slot i spans i…i+1, labelled at its middle.
        var categories: [String] = []

        func fraction(_ v: Double) -> Double {
            if logarithmic {
                let lo = log10(max(lower, 1e-12)), hi = log10(max(upper, lower * 10))
                return (log10(max(v, 1e-12)) - lo) / (hi - lo)
            }
            return upper > lower ? (v - lower) / (upper - lower) : 0
        }

        /// Round values to label: 1-2-5 steps (linear), powers of ten (logarithmic).
        var ticks: [Double] {
            if !categories.isEmpty { return categories.indices.map { Double($0) + 0.5 } }
            if logarithmic {
                var t: [Double] = []
                var p = pow(10, floor(log10(max(lower, 1e-12))))
                while p <= upper * 1.0001 { if p >= lower * 0.9999 { t.append(p) }; p *= 10 }
                return t
            }
            guard upper > lower else { return [lower] }
            let raw = (upper - lower) / 5
            let magnitude = pow(10, floor(log10(raw)))
            let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
            var t: [Double] = []
            var v = (lower / step).rounded(.up) * step
            while v <= upper + step * 1e-9 { t.append(v); v += step }
            return t
        }

        /// An axis from 0 (or the smallest value) to a little above the largest value.
        static func covering(_ values: [Double], label: String, fromZero: Bool = true) -> Axis {
            let finite = values.filter { $0.isFinite }
            let hi = finite.max() ?? 1, lo = fromZero ? 0 : (finite.min() ?? 0)
            return Axis(lower: lo, upper: hi > lo ? hi * 1.05 : lo + 1, label: label)
        }
    }

    init(title: String, x: Axis, y: Axis, width: Double = 760, height: Double = 280) {
        self.title = title; self.x = x; self.y = y; self.width = width; self.height = height
    }

    var plotWidth: Double { width - left - rightMargin }
    var plotHeight: Double { height - top - bottomMargin }
    func px(_ v: Double) -> Double { left + min(max(x.fraction(v), 0), 1) * plotWidth }
    func py(_ v: Double) -> Double { top + plotHeight - min(max(y.fraction(v), 0), 1) * plotHeight }

    /// A polyline through `points` (x, y in axis units); gaps where a y is nil.
    mutating func line(_ name: String, color: String, points: [(Double, Double?)], dashed: Bool = false, inLegend: Bool = true) {
        var runs: [[String]] = [[]]
        for (vx, vy) in points {
            guard let vy, vy.isFinite else { if !(runs.last!.isEmpty) { runs.append([]) }; continue }
            runs[runs.count - 1].append("\(Self.coordinate(px(vx))),\(Self.coordinate(py(vy)))")
        }
        var g = "<g class=\"series\" data-series=\"\(XML.escape(name))\">"
        for run in runs where !run.isEmpty {
            g += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\""
            g += (dashed ? " stroke-dasharray=\"5 3\"" : "") + " points=\"\(run.joined(separator: " "))\"/>"
        }
        parts.append(g + "</g>")
        if inLegend && !legend.contains(where: { $0.name == name }) { legend.append((name, color)) }
    }

    /// Bars: each (x from, x to, height) in axis units, from the x axis up.
    mutating func bars(_ name: String, color: String, _ items: [(from: Double, to: Double, value: Double, label: String?)]) {
        var g = "<g class=\"series\" data-series=\"\(XML.escape(name))\">"
        let base = py(y.logarithmic ? y.lower : max(y.lower, 0))
        for item in items {
            let x0 = px(item.from), x1 = px(item.to), yTop = py(item.value)
            g += "<rect x=\"\(Self.coordinate(x0))\" y=\"\(Self.coordinate(yTop))\" width=\"\(Self.coordinate(max(x1 - x0, 0.5)))\""
            g += " height=\"\(Self.coordinate(max(base - yTop, 0)))\" fill=\"\(color)\">"
            if let label = item.label { g += "<title>\(XML.escape(label))</title>" }
            g += "</rect>"
        }
        parts.append(g + "</g>")
        legend.append((name, color))
    }

    /// A vertical line at `at` (x units) with a short label: knob changes, faults, breaker transitions.
    mutating func marker(at: Double, label: String, color: String, kind: String) {
        let xx = Self.coordinate(px(at))
        var g = "<g class=\"marker\" data-kind=\"\(XML.escape(kind))\">"
        g += "<line x1=\"\(xx)\" y1=\"\(Self.coordinate(top))\" x2=\"\(xx)\" y2=\"\(Self.coordinate(top + plotHeight))\""
        g += " stroke=\"\(color)\" stroke-width=\"1\" stroke-dasharray=\"2 2\"/>"
        g += "<text x=\"\(xx)\" y=\"\(Self.coordinate(top - 4))\" font-size=\"10\" fill=\"\(color)\" transform=\"rotate(-20 \(xx) \(Self.coordinate(top - 4)))\">"
        g += XML.escape(label) + "</text></g>"
        parts.append(g)
    }

    /// Free text in the plot area (e.g. "no data").
    mutating func note(_ text: String) {
        parts.append("<text x=\"\(Self.coordinate(left + plotWidth / 2))\" y=\"\(Self.coordinate(top + plotHeight / 2))\""
                     + " text-anchor=\"middle\" font-size=\"13\" fill=\"#666\">\(XML.escape(text))</text>")
    }

    /// The whole SVG document.
    func render() -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\""
        out += " viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        out += "<title>\(XML.escape(title))</title>\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        out += "<text x=\"\(Int(left))\" y=\"18\" font-size=\"14\" font-weight=\"bold\">\(XML.escape(title))</text>\n"
        // Grid and axes.
        out += "<g class=\"axes\" font-size=\"10\" fill=\"#444\">\n"
        for t in y.ticks {
            let yy = Self.coordinate(py(t))
            out += "<line x1=\"\(Int(left))\" y1=\"\(yy)\" x2=\"\(Self.coordinate(left + plotWidth))\" y2=\"\(yy)\" stroke=\"#e4e4e4\"/>"
            out += "<text x=\"\(Int(left) - 4)\" y=\"\(yy)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(XML.escape(y.format(t)))</text>\n"
        }
        for t in x.ticks {
            let xx = Self.coordinate(px(t))
            out += "<line x1=\"\(xx)\" y1=\"\(Self.coordinate(top + plotHeight))\" x2=\"\(xx)\" y2=\"\(Self.coordinate(top + plotHeight + 4))\" stroke=\"#444\"/>"
            let label = x.categories.isEmpty ? x.format(t) : x.categories[Int(t)]
            out += "<text x=\"\(xx)\" y=\"\(Self.coordinate(top + plotHeight + 15))\" text-anchor=\"middle\">\(XML.escape(label))</text>\n"
        }
        out += "<rect x=\"\(Int(left))\" y=\"\(Int(top))\" width=\"\(Self.coordinate(plotWidth))\" height=\"\(Self.coordinate(plotHeight))\""
        out += " fill=\"none\" stroke=\"#444\"/>\n"
        out += "<text x=\"\(Self.coordinate(left + plotWidth / 2))\" y=\"\(Self.coordinate(height - 8))\" text-anchor=\"middle\">\(XML.escape(x.label))</text>\n"
        out += "<text x=\"14\" y=\"\(Self.coordinate(top + plotHeight / 2))\" text-anchor=\"middle\""
        out += " transform=\"rotate(-90 14 \(Self.coordinate(top + plotHeight / 2)))\">\(XML.escape(y.label))</text>\n"
        out += "</g>\n"
        out += parts.joined(separator: "\n") + "\n"
        // Legend, top right.
        var lx = width - rightMargin
        var legendText = ""
        for item in legend.reversed() {
            let w = Double(item.name.count) * 6.5 + 22
            lx -= w
            legendText += "<rect x=\"\(Self.coordinate(lx))\" y=\"10\" width=\"12\" height=\"10\" fill=\"\(item.color)\"/>"
            legendText += "<text x=\"\(Self.coordinate(lx + 16))\" y=\"19\" font-size=\"11\">\(XML.escape(item.name))</text>"
        }
        out += "<g class=\"legend\">\(legendText)</g>\n</svg>\n"
        return out
    }

    static func coordinate(_ v: Double) -> String { String(format: "%.1f", v) }

    /// "0", "2.5", "1k", "20k".
    static func number(_ v: Double) -> String {
        if abs(v) >= 10_000 { return String(format: "%.0fk", v / 1000) }
        if v == v.rounded() { return String(format: "%.0f", v) }
        return String(format: abs(v) < 1 ? "%.2g" : "%.1f", v)
    }

    static let palette = (a: "#1f77b4", b: "#ff7f0e", c: "#2ca02c", d: "#d62728", e: "#9467bd", grey: "#7f7f7f")
}
