/// One sample of the Prometheus text exposition format: `name{label="value",...} 12.5`.
public struct PrometheusSample: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: Double

    public init(name: String, labels: [String: String] = [:], value: Double) {
        self.name = name; self.labels = labels; self.value = value
    }
}

/// Reads the Prometheus text format (version 0.0.4): comments and blank lines skipped, timestamps ignored,
/// label values unescaped. Lines it cannot read are skipped and counted, so one odd line never hides the rest.
public enum PrometheusText {
    public static func parse(_ text: String) -> (samples: [PrometheusSample], skippedLines: Int) {
        var samples: [PrometheusSample] = []
        var skipped = 0
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if let sample = parseLine(trimmed) { samples.append(sample) } else { skipped += 1 }
        }
        return (samples, skipped)
    }

    static func parseLine(_ line: Substring) -> PrometheusSample? {
        let chars = Array(line.unicodeScalars)
        var i = 0
        var name = ""
        while i < chars.count, chars[i] != "{", chars[i] != " ", chars[i] != "\t" {
            name.unicodeScalars.append(chars[i]); i += 1
        }
        guard !name.isEmpty else { return nil }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while true {
                while i < chars.count, chars[i] == " " || chars[i] == "," { i += 1 }
                guard i < chars.count else { return nil }
                if chars[i] == "}" { i += 1; break }
                var key = ""
                while i < chars.count, chars[i] != "=" { if chars[i] != " " { key.unicodeScalars.append(chars[i]) }; i += 1 }
                i += 1
                while i < chars.count, chars[i] == " " { i += 1 }
                guard i < chars.count, chars[i] == "\"" else { return nil }
                i += 1
                var value = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count {
                        i += 1
                        value.unicodeScalars.append(chars[i] == "n" ? "\n" : chars[i])
                    } else {
                        value.unicodeScalars.append(chars[i])
                    }
                    i += 1
                }
                guard i < chars.count else { return nil }
                i += 1
                labels[key] = value
            }
        }
        var rest = String(String.UnicodeScalarView(chars[i...]))
        rest = String(rest.drop { $0 == " " || $0 == "\t" })
        let field = rest.prefix { $0 != " " && $0 != "\t" }
        guard let value = number(field) else { return nil }
        return PrometheusSample(name: name, labels: labels, value: value)
    }

    static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }
}
