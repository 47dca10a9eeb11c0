import Foundation

/// What a report directory says, whatever the format: title, tables, checks and charts. Each command that
/// reports (`run`, `compare`; `verify` and `capacity` later) fills one, and the formats render it the same way:
/// summary.md (`MarkdownReport`), junit.xml (`JUnitReport`), report.html (`HTMLReport`), the charts as .svg files.
public struct ReportDocument: Sendable {
    /// "dyno run", "dyno compare", …: the JUnit suite name's first part.
    public var command: String
    public var title: String
    /// Short lines under the title (what ran, how long, how much).
    public var lead: [String] = []
    public var sections: [Section] = []
    /// Thresholds and checks: JUnit test cases, and the verdict table of the summary.
    public var checks: [Check] = []
    public var charts: [Chart] = []
    /// Warnings worth a reader's attention (the generator fell behind, …).
    public var warnings: [String] = []

    public init(command: String, title: String) { self.command = command; self.title = title }

    public struct Section: Sendable {
        public var title: String
        public var paragraphs: [String] = []
        public var tables: [Table] = []
        public init(title: String, paragraphs: [String] = [], tables: [Table] = []) {
            self.title = title; self.paragraphs = paragraphs; self.tables = tables
        }
    }

    /// A table; columns after the first are right-aligned (numbers) unless listed in `textColumns`.
    public struct Table: Sendable {
        public var header: [String]
        public var rows: [[String]]
        public var textColumns: Set<Int> = [0]
        public init(header: [String], rows: [[String]], textColumns: Set<Int> = [0]) {
            self.header = header; self.rows = rows; self.textColumns = textColumns
        }
    }

    public struct Check: Sendable, Equatable {
        public enum Outcome: Sendable, Equatable {
            case passed
            case failed
            /// Not judged, and why ("knob missing").
            case skipped(String)
        }
        public var name: String
        public var outcome: Outcome
        /// Measured and required values as read by a human ("153 ms", "≤ 200 ms").
        public var measured: String
        public var required: String
        public init(name: String, outcome: Outcome, measured: String, required: String) {
            self.name = name; self.outcome = outcome; self.measured = measured; self.required = required
        }
    }

    public struct Chart: Sendable {
        /// "latency.svg": written beside the other files and embedded in report.html.
        public var fileName: String
        public var title: String
        public var svg: String
        public init(fileName: String, title: String, svg: String) { self.fileName = fileName; self.title = title; self.svg = svg }
    }

    public var passed: Bool { !checks.contains { $0.outcome == .failed } }
    public var failedCount: Int { checks.filter { $0.outcome == .failed }.count }
}

/// Writes a report directory: the JSON record, summary.md, junit.xml, each chart, report.html.
public enum ReportDirectory {
    /// Writes every file into `directory` (created if needed); `json` goes to `jsonName`. Returns the paths written.
    @discardableResult
    public static func write(_ document: ReportDocument, json: Data, jsonName: String = "report.json",
                             to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [(String, Data)] = [(jsonName, json),
                                       ("summary.md", Data(MarkdownReport.render(document).utf8)),
                                       ("junit.xml", Data(JUnitReport.render(document).utf8))]
        for chart in document.charts { files.append((chart.fileName, Data(chart.svg.utf8))) }
        files.append(("report.html", Data(HTMLReport.render(document).utf8)))
        return try files.map { name, data in
            let path = (directory as NSString).appendingPathComponent(name)
            try data.write(to: URL(fileURLWithPath: path))
            return path
        }
    }
}
