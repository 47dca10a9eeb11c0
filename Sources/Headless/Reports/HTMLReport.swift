/// report.html: one self-contained page (no scripts, no links out): the summary, the checks, the tables and every
/// chart inlined as SVG. Readable offline and attachable as a CI artifact.
public enum HTMLReport {
    public static func render(_ d: ReportDocument) -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(XML.escape(d.title))</title>
        <style>
        body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:980px;color:#222}
        table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px}
        th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
        .pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}.skip{color:#777}.warn{background:#fff8c5;padding:6px}
        figure{margin:12px 0}figcaption{font-size:12px;color:#555}
        </style></head><body>

        """
        out += "<h1>\(XML.escape(d.command)): \(XML.escape(d.title))</h1>\n"
        for line in d.lead { out += "<p>\(XML.escape(line))</p>\n" }
        if !d.checks.isEmpty {
            out += d.passed ? "<p class=\"pass\">Passed: every check held.</p>\n"
                            : "<p class=\"fail\">FAILED: \(d.failedCount) of \(d.checks.count) checks.</p>\n"
            out += "<table><tr><th>verdict</th><th>check</th><th>measured</th><th>required</th></tr>\n"
            for c in d.checks {
                let (cls, word): (String, String)
                switch c.outcome {
                case .passed: (cls, word) = ("pass", "pass")
                case .failed: (cls, word) = ("fail", "FAIL")
                case .skipped(let why): (cls, word) = ("skip", "skipped: " + why)
                }
                out += "<tr><td class=\"\(cls)\">\(XML.escape(word))</td><td>\(XML.escape(c.name))</td>"
                out += "<td class=\"n\">\(XML.escape(c.measured))</td><td class=\"n\">\(XML.escape(c.required))</td></tr>\n"
            }
            out += "</table>\n"
        }
        for w in d.warnings { out += "<p class=\"warn\">Warning: \(XML.escape(w))</p>\n" }
        for chart in d.charts {
            out += "<figure id=\"\(XML.escape(chart.fileName))\">\n\(chart.svg)<figcaption>\(XML.escape(chart.title))"
            out += " (\(XML.escape(chart.fileName)))</figcaption></figure>\n"
        }
        for s in d.sections {
            out += "<h2>\(XML.escape(s.title))</h2>\n"
            for p in s.paragraphs { out += "<p>\(XML.escape(p))</p>\n" }
            for t in s.tables { out += table(t) }
        }
        out += "</body></html>\n"
        return out
    }

    static func table(_ t: ReportDocument.Table) -> String {
        var out = "<table><tr>" + t.header.map { "<th>\(XML.escape($0))</th>" }.joined() + "</tr>\n"
        for row in t.rows {
            out += "<tr>" + row.enumerated().map { i, cell in
                t.textColumns.contains(i) ? "<td>\(XML.escape(cell))</td>" : "<td class=\"n\">\(XML.escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }
}
