import Engine
import Foundation
import Metrics

/// The end-of-run table printed to stdout: per route count, rate, p50, p95, p99, max, errors — corrected
/// (from the intended send time) and uncorrected (service time) — then totals, status codes and thresholds.
public enum SummaryTable {
    public static func render(_ r: RunResult) -> String {
        var out = ""
        let load = r.final.load
        out += "Dyno · \(r.profile.name) · \(r.targetDescription) · \(modelText(load.model))\n"
        out += "measured \(String(format: "%.1f", r.measuredSeconds)) s"
        if r.warmupSeconds > 0 { out += " (after \(String(format: "%.1f", r.warmupSeconds)) s warm-up)" }
        out += " · \(load.total.completed) responses · \(String(format: "%.1f", r.achievedRate))/s"
        out += " · unexpected errors \(load.total.unexpectedErrors) (\(String(format: "%.2f", load.total.unexpectedErrorRate * 100))%)"
        let expected = load.total.errors - load.total.unexpectedErrors
        if expected > 0 { out += " · expected errors \(expected)" }
        out += "\n"
        out += "bytes on the wire \(bytesText(load.total.bytesReceived)), decoded bodies \(bytesText(load.total.bytesDecoded))"
        if load.total.completed > 0 {
            out += " · per response \(bytesText(load.total.bytesReceived / load.total.completed)) on the wire, "
                + "\(bytesText(load.total.bytesDecoded / load.total.completed)) decoded"
        }
        out += "\n\n"

        // "errors" is what a correct server would not answer; "expected" the error statuses routes declare (409 …).
        let header = ["route", "count", "rate/s", "p50", "p95", "p99", "max", "errors", "expected"]
        var rows: [[String]] = []
        for route in r.final.routes {
            let rate = r.measuredSeconds > 0 ? Double(route.total.completed) / r.measuredSeconds : 0
            rows.append([route.name, String(route.total.completed), String(format: "%.1f", rate),
                         lat(route.latencyTotal.p50), lat(route.latencyTotal.p95), lat(route.latencyTotal.p99),
                         lat(route.latencyTotal.max), String(route.total.unexpectedErrors),
                         String(route.total.errors - route.total.unexpectedErrors)])
            rows.append(["  service time", "", "", lat(route.serviceTotal.p50), lat(route.serviceTotal.p95),
                         lat(route.serviceTotal.p99), lat(route.serviceTotal.max), "", ""])
        }
        let c = load.latencyTotal.summary, s = load.serviceTotal.summary
        rows.append(["all (corrected)", String(load.total.completed), String(format: "%.1f", r.achievedRate),
                     lat(c.p50), lat(c.p95), lat(c.p99), lat(c.max), String(load.total.unexpectedErrors),
                     String(load.total.errors - load.total.unexpectedErrors)])
        rows.append(["all (service time)", "", "", lat(s.p50), lat(s.p95), lat(s.p99), lat(s.max), "", ""])
        out += table(header: header, rows: rows)

        if !load.total.statusCounts.isEmpty || !load.total.transportErrors.isEmpty {
            out += "\nstatus: " + load.total.statusCounts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: "  ")
            for (kind, n) in load.total.transportErrors.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { out += "  \(kind.rawValue)×\(n)" }
            out += "\n"
        }
        if let warning = load.generator.bottleneck.reportWarning { out += "warning: " + warning + "\n" }
        if !r.thresholds.isEmpty {
            out += "\nthresholds:\n"
            for t in r.thresholds {
                out += "  \(t.passed ? "pass" : "FAIL")  \(t.name) \(t.limit): \(t.actual)\n"
            }
        }
        return out
    }

    static func lat(_ ns: UInt64) -> String { ns == 0 ? "-" : formatLatency(nanoseconds: ns) }

    static func modelText(_ m: LoadModel) -> String {
        switch m {
        case .open(let rate): return "open model, \(String(format: "%.0f", rate))/s"
        case .closed(let users, let think): return "closed model, \(users) users" + (think > 0 ? ", think \(think) s" : "")
        }
    }

    /// Left-aligned first column (and any in `leftAligned`), right-aligned numbers.
    static func table(header: [String], rows: [[String]], leftAligned: Set<Int> = [0]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            let text = cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return leftAligned.contains(i) ? cell + pad : pad + cell
            }.joined(separator: "  ")
            return String(text.reversed().drop(while: { $0 == " " }).reversed()) + "\n"
        }
        return line(header) + rows.map(line).joined()
    }

    /// "1.23 MB" (decimal units, like wrk's transfer figures).
    static func bytesText(_ n: UInt64) -> String {
        let v = Double(n)
        if v >= 1e9 { return String(format: "%.2f GB", v / 1e9) }
        if v >= 1e6 { return String(format: "%.2f MB", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1f kB", v / 1e3) }
        return "\(n) B"
    }
}
