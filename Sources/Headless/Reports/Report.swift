import Foundation
import Metrics

/// report.json as a type: what `dyno run` writes, and what `compare`, `merge` and the other report formats read.
/// Every field is documented in the README ("report.json"). Latencies are in milliseconds (floating point), rates
/// per second, times in seconds since the run started; histograms in nanoseconds.
///
/// Version 2 added the latency histograms (`totals.latencyHistogram`, `routes[].latencyHistogram`, …) so reports
/// from several load machines merge with exact percentiles, the profile's threshold limits, and `mergedFrom`.
public struct Report: Codable, Sendable, Equatable {
    public static let schemaName = "dyno.report"
    public static let currentSchemaVersion = 2

    public var schema = Report.schemaName
    public var schemaVersion = Report.currentSchemaVersion
    public var profile: ProfileInfo
    public var target: String
    public var startedAt: String
    public var warmupSeconds: Double
    public var measuredSeconds: Double
    public var model: Model
    public var totals: Totals
    public var status: [String: UInt64]
    public var transportErrors: [String: UInt64]
    public var routes: [Route]
    public var generator: Generator
    public var knobs: [String: String]
    public var events: [Event]
    public var timeSeries: [Second]
    public var thresholds: [Threshold]
    public var passed: Bool
    /// The backend's own view (embedded demo only): its layout follows the probes (see the README).
    public var backend: JSONValue?
    /// Set by `dyno merge`: the reports this one was merged from (their paths as given).
    public var mergedFrom: [String]?

    public struct ProfileInfo: Codable, Sendable, Equatable {
        public var name: String
        public var source: String
        public var description: String
        /// The profile's threshold limits (absent when it has none), so a merged report can judge them again.
        public var thresholds: ThresholdLimits?
    }

    /// A profile's thresholds, with the profile file's keys; latencies in seconds.
    public struct ThresholdLimits: Codable, Sendable, Equatable {
        public var p50: Double?
        public var p95: Double?
        public var p99: Double?
        public var max: Double?
        public var errorRate: Double?
        public var minRate: Double?
    }

    public struct Model: Codable, Sendable, Equatable {
        /// "open" or "closed".
        public var type: String
        /// Open model: the arrival rate (per second) at the end of the run.
        public var rate: Double?
        /// Closed model: users and their think time.
        public var users: Int?
        public var thinkTimeSeconds: Double?
    }

    public struct Totals: Codable, Sendable, Equatable {
        public var sent: UInt64
        public var completed: UInt64
        public var errors: UInt64
        public var errorRate: Double
        public var achievedRate: Double
        public var bytesReceived: UInt64
        public var latency: Latency
        public var serviceTime: Latency
        public var latencyHistogram: Histogram?
        public var serviceTimeHistogram: Histogram?
        /// Errors whose status the route did not declare as expected (`"expect"` in the profile), and their rate.
        public var unexpectedErrors: UInt64? = nil
        public var unexpectedErrorRate: Double? = nil
        /// Response body bytes after content decoding (gzip inflated); `bytesReceived` is what crossed the wire,
        /// heads included. Absent in reports from before it was counted.
        public var bytesDecoded: UInt64? = nil
    }

    /// The usual figures of a latency histogram, in milliseconds.
    public struct Latency: Codable, Sendable, Equatable {
        public var count: UInt64
        public var min: Double
        public var mean: Double
        public var p50: Double
        public var p90: Double
        public var p95: Double
        public var p99: Double
        public var p999: Double
        public var max: Double
        public var unit = "ms"
    }

    public struct Route: Codable, Sendable, Equatable {
        public var name: String
        public var count: UInt64
        public var sent: UInt64
        public var errors: UInt64
        public var rate: Double
        public var status: [String: UInt64]
        public var latency: Latency
        public var serviceTime: Latency
        public var latencyHistogram: Histogram?
        public var serviceTimeHistogram: Histogram?
        public var unexpectedErrors: UInt64? = nil
    }

    public struct Generator: Codable, Sendable, Equatable {
        public var behindSchedule: Bool
        public var lagSeconds: Double
        public var limitedBy: String?
        /// Every connection was waiting on the server at the end (absent otherwise): the server, not the
        /// generator, set the pace.
        public var serverSaturated: ServerSaturation? = nil
    }

    public struct ServerSaturation: Codable, Sendable, Equatable {
        public var connectionsWaiting: Int
        public var connections: Int
        /// Arrivals due but not sent for lack of a free connection; their wait counts in corrected latency.
        public var queued: Int
    }

    public struct Event: Codable, Sendable, Equatable {
        public var at: Double
        public var kind: String
        public var detail: String
        public var source: String
    }

    /// One second of the measured run (`t` = the second's end, seconds since the run started).
    public struct Second: Codable, Sendable, Equatable {
        public var t: Double
        public var offeredRate: Double
        public var achievedRate: Double
        public var errors: UInt64
        public var inFlight: Int
        public var p50: Double
        public var p90: Double
        /// Absent in reports whose writer kept no per-second p95.
        public var p95: Double?
        public var p99: Double
        public var max: Double
        public var serviceP99: Double
        public var cacheHitRate: Double?
        public var poolInUse: Int?
        public var rssBytes: UInt64?
        public var dbQueriesPerRequest: Double?
        public var unexpectedErrors: UInt64? = nil
        /// Anonymous and file-backed RSS and heap in use at the second's end (embedded demo backend only).
        public var rssAnonBytes: UInt64? = nil
        public var rssFileBytes: UInt64? = nil
        public var heapInUseBytes: UInt64? = nil
    }

    public struct Threshold: Codable, Sendable, Equatable {
        /// "p99", "errorRate", ...
        public var name: String
        /// Human-readable required and measured values ("≤ 200 ms", "153 ms").
        public var limit: String
        public var actual: String
        public var passed: Bool
    }

    /// A latency histogram, compactly: `buckets` is "LOW:COUNT LOW:COUNT …", each non-empty bucket's lowest value
    /// in nanoseconds and its count (3 significant digits, 1 µs–60 s); `min`, `max`, `sum` are exact (ns).
    public struct Histogram: Codable, Sendable, Equatable {
        public var value: HistogramBuckets

        public init(_ value: HistogramBuckets) { self.value = value }

        enum CodingKeys: String, CodingKey { case count, min, max, sum, clamped, buckets }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let text = try c.decode(String.self, forKey: .buckets)
            var list: [HistogramBuckets.Bucket] = []
            for pair in text.split(separator: " ") {
                let parts = pair.split(separator: ":")
                guard parts.count == 2, let low = UInt64(parts[0]), let n = UInt64(parts[1]) else {
                    throw DecodingError.dataCorruptedError(forKey: .buckets, in: c,
                        debugDescription: "expected \"LOW:COUNT\" pairs of whole numbers, got \"\(pair)\"")
                }
                list.append(.init(lowNanoseconds: low, count: n))
            }
            value = HistogramBuckets(buckets: list, min: try c.decode(UInt64.self, forKey: .min),
                                     max: try c.decode(UInt64.self, forKey: .max),
                                     sumNanoseconds: try c.decode(Double.self, forKey: .sum),
                                     clamped: try c.decodeIfPresent(UInt64.self, forKey: .clamped) ?? 0)
            let count = try c.decode(UInt64.self, forKey: .count)
            guard count == value.count else {
                throw DecodingError.dataCorruptedError(forKey: .count, in: c,
                    debugDescription: "count \(count) is not the sum of the buckets' counts (\(value.count))")
            }
            do { _ = try LatencyHistogram(value) } catch {
                throw DecodingError.dataCorruptedError(forKey: .buckets, in: c, debugDescription: error.message)
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(value.count, forKey: .count)
            try c.encode(value.min, forKey: .min)
            try c.encode(value.max, forKey: .max)
            try c.encode(value.sumNanoseconds, forKey: .sum)
            if value.clamped > 0 { try c.encode(value.clamped, forKey: .clamped) }
            try c.encode(value.buckets.map { "\($0.lowNanoseconds):\($0.count)" }.joined(separator: " "), forKey: .buckets)
        }

        /// The histogram itself (checked when decoded).
        public var histogram: LatencyHistogram { (try? LatencyHistogram(value)) ?? LatencyHistogram() }
    }
}

// MARK: Reading and writing

/// A report file that cannot be used: names the file and the field.
public struct ReportFileError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let field: String
    public let message: String
    public var description: String { field.isEmpty ? "\(file): \(message)" : "\(file): \(field): \(message)" }
}

extension Report {
    /// Pretty, sorted keys, slashes unescaped: stable bytes for the same report.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Decodes report.json bytes; `file` names them in errors.
    public static func decode(_ data: Data, file: String) throws(ReportFileError) -> Report {
        // The schema first, so a foreign JSON file gets a plain answer rather than a missing field.
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReportFileError(file: file, field: "", message: "not a JSON object")
        }
        guard object["schema"] as? String == schemaName else {
            throw ReportFileError(file: file, field: "schema", message: "expected \"\(schemaName)\" (a report.json from dyno run)")
        }
        guard let version = object["schemaVersion"] as? Int, (1...currentSchemaVersion).contains(version) else {
            throw ReportFileError(file: file, field: "schemaVersion",
                                  message: "expected 1…\(currentSchemaVersion), got \(object["schemaVersion"].map { "\($0)" } ?? "nothing")")
        }
        do {
            return try JSONDecoder().decode(Report.self, from: data)
        } catch let error as DecodingError {
            throw ReportFileError(decoding: error, file: file)
        } catch {
            throw ReportFileError(file: file, field: "", message: "\(error)")
        }
    }

    /// Reads and decodes a report file.
    public static func read(path: String) throws(ReportFileError) -> Report {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportFileError(file: path, field: "", message: "cannot read the file (missing or not readable)")
        }
        return try decode(data, file: path)
    }
}

extension ReportFileError {
    init(decoding error: DecodingError, file: String) {
        func path(_ keys: [CodingKey]) -> String {
            keys.reduce("") { text, key in
                if let i = key.intValue { return text + "[\(i)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(file: file, field: path(context.codingPath + [key]), message: "missing")
        case .typeMismatch(let type, let context):
            self.init(file: file, field: path(context.codingPath), message: "expected \(Self.typeName(type))")
        case .valueNotFound(let type, let context):
            self.init(file: file, field: path(context.codingPath), message: "expected \(Self.typeName(type)), got null")
        case .dataCorrupted(let context):
            self.init(file: file, field: path(context.codingPath), message: context.debugDescription)
        @unknown default:
            self.init(file: file, field: "", message: "\(error)")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        case is Int.Type, is UInt64.Type: return "a whole number"
        case is [Any].Type: return "an array"
        default: return "an object"
        }
    }
}

/// Any JSON value: the parts of a report whose layout belongs to someone else (the backend's probes).
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            // Whole numbers as integers, so counts read back as counts.
            if n == n.rounded(), abs(n) < 9e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
}
