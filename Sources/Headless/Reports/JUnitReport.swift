/// junit.xml: one test suite per report, one test case per threshold or check. A failure says the measured and the
/// required value in its message (what CI systems show) and in its body.
public enum JUnitReport {
    public static func render(_ d: ReportDocument) -> String {
        let failures = d.failedCount
        let skipped = d.checks.filter { if case .skipped = $0.outcome { return true } else { return false } }.count
        let suite = d.command.replacingOccurrences(of: " ", with: ".")
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"dyno\" tests=\"\(d.checks.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\">\n"
        out += "  <testsuite name=\"\(XML.escape(d.command + ": " + d.title))\" tests=\"\(d.checks.count)\" failures=\"\(failures)\""
        out += " errors=\"0\" skipped=\"\(skipped)\">\n"
        for c in d.checks {
            out += "    <testcase classname=\"\(XML.escape(suite))\" name=\"\(XML.escape(c.name))\""
            switch c.outcome {
            case .passed:
                out += ">\n      <system-out>\(XML.escape("measured \(c.measured), required \(c.required)"))</system-out>\n    </testcase>\n"
            case .failed:
                let message = "\(c.name): measured \(c.measured), required \(c.required)"
                out += ">\n      <failure message=\"\(XML.escape(message))\" type=\"threshold\">"
                out += XML.escape("measured: \(c.measured)\nrequired: \(c.required)") + "</failure>\n    </testcase>\n"
            case .skipped(let why):
                out += ">\n      <skipped message=\"\(XML.escape(why))\"/>\n    </testcase>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }
}

/// Text for XML and HTML: the five markup characters escaped, control characters (illegal in XML 1.0) dropped.
enum XML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default: if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
