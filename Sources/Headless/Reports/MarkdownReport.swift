/// summary.md: GitHub-flavoured Markdown, readable in a CI job summary (`cat summary.md >> $GITHUB_STEP_SUMMARY`).
public enum MarkdownReport {
    public static func render(_ d: ReportDocument) -> String {
        var out = "## \(escape(d.title))\n\n"
        for line in d.lead { out += escape(line) + "  \n" }
        if !d.lead.isEmpty { out += "\n" }
        if !d.checks.isEmpty {
            out += d.passed ? "**Passed**: \(verdictCounts(d))\n\n" : "**FAILED**: \(verdictCounts(d))\n\n"
            out += table(.init(header: ["", "check", "measured", "required"],
                               rows: d.checks.map { [mark($0.outcome), $0.name, $0.measured, required($0)] },
                               textColumns: [0, 1]))
            out += "\n"
        }
        for w in d.warnings { out += "> **Warning:** \(escape(w))\n\n" }
        for section in d.sections {
            out += "### \(escape(section.title))\n\n"
            for p in section.paragraphs { out += escape(p) + "\n\n" }
            for t in section.tables { out += table(t) + "\n" }
        }
        if !d.charts.isEmpty {
            out += "Charts (SVG, beside this file and in report.html): "
            out += d.charts.map { "[\($0.title)](\($0.fileName))" }.joined(separator: " · ") + "\n"
        }
        return out
    }

    static func verdictCounts(_ d: ReportDocument) -> String {
        let failed = d.failedCount
        let skipped = d.checks.filter { if case .skipped = $0.outcome { return true } else { return false } }.count
        var text = "\(d.checks.count - failed - skipped) of \(d.checks.count) checks passed"
        if failed > 0 { text += ", \(failed) failed" }
        if skipped > 0 { text += ", \(skipped) skipped" }
        return text
    }

    static func mark(_ o: ReportDocument.Check.Outcome) -> String {
        switch o {
        case .passed: return "✅ pass"
        case .failed: return "❌ FAIL"
        case .skipped: return "⏭ skipped"
        }
    }

    static func required(_ c: ReportDocument.Check) -> String {
        if case .skipped(let why) = c.outcome { return c.required.isEmpty ? why : "\(c.required) (\(why))" }
        return c.required
    }

    /// A GFM table: text columns left-aligned, numbers right-aligned.
    static func table(_ t: ReportDocument.Table) -> String {
        var out = "| " + t.header.map(cell).joined(separator: " | ") + " |\n"
        out += "|" + t.header.indices.map { t.textColumns.contains($0) ? " --- |" : " ---: |" }.joined() + "\n"
        for row in t.rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }

    /// A table cell: pipes escaped, no line breaks.
    static func cell(_ text: String) -> String {
        escape(text).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// Characters that would start Markdown or HTML markup in plain text.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "*", "_", "`", "[", "]", "\\": out += "\\" + String(c)
            default: out.append(c)
            }
        }
        return out
    }
}
