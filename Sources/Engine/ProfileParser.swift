import Foundation
import Knobs

/// A profile that cannot be used, naming the file, the field and what was expected.
public struct ProfileError: Error, Equatable, CustomStringConvertible {
    public let file: String
    /// JSON path of the field, e.g. "load.stages[1].rate" (empty for the whole document).
    public let field: String
    public let message: String
    public var description: String {
        field.isEmpty ? "\(file): \(message)" : "\(file): field \"\(field)\": \(message)"
    }
    public init(file: String, field: String, message: String) {
        self.file = file; self.field = field; self.message = message
    }
}

/// Reads profiles from JSON with precise errors (Codable's messages don't name fields the way users need).
public enum ProfileParser {
    /// Loads and validates `path`. `knownKnobs` (ids → allowed check) validates knob names and values up front.
    public static func load(path: String, knobs: KnobRegistry? = nil) throws(ProfileError) -> Profile {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ProfileError(file: path, field: "", message: exists ? "cannot read the file" : "no such file")
        }
        let defaultName = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try parse(data: data, source: path, defaultName: defaultName, knobs: knobs)
    }

    public static func parse(data: Data, source: String, defaultName: String, knobs: KnobRegistry? = nil) throws(ProfileError) -> Profile {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ProfileError(file: source, field: "", message: "not valid JSON: \(jsonErrorDetail(error))")
        }
        let doc = Field(value: root, path: "", file: source)
        var p = Profile(name: defaultName, source: source)
        let obj = try doc.object(allowed: ["name", "description", "target", "backend", "load", "threads", "timeout",
                                           "warmup", "duration", "mix", "values", "session", "preset", "knobs",
                                           "knobSchedule", "thresholds", "apiPrefix", "gzip", "$comment"])
        if let f = obj["name"] { p.name = try f.string() }
        if let f = obj["description"] { p.description = try f.string() }
        if let f = obj["target"] {
            do { p.target = try TargetSpec.parse(try f.string()) } catch let e as TargetSpecError { throw f.error(e.message) } catch { throw f.error("\(error)") }
        }
        if let f = obj["apiPrefix"] { p.apiPrefix = try f.string() }
        if let f = obj["gzip"] { p.acceptGzip = try f.bool() }
        if let f = obj["backend"] {
            let b = try f.object(allowed: ["data", "seed", "scale"])
            if let d = b["data"] { p.backend.dataDirectory = try d.string() }
            if let s = b["seed"] { p.backend.seed = UInt64(try s.integer(min: 0)) }
            if let s = b["scale"] { p.backend.scale = try s.number(min: 0.0001, max: 100) }
        }
        if let f = obj["load"] { p.load = try parseLoad(f) }
        if let f = obj["threads"] { p.threads = try f.integer(min: 1, max: 64) }
        if let f = obj["timeout"] { p.requestTimeoutSeconds = try f.duration(minimum: 0.001) }
        if let f = obj["warmup"] { p.warmupSeconds = try f.duration() }
        if let f = obj["duration"] { p.durationSeconds = try f.duration(minimum: 0.1) }
        if let f = obj["values"] {
            for (name, v) in try f.object() { p.values[name] = try parseValue(v) }
        }
        if let f = obj["session"] { p.session = try parseSession(f) }
        if let f = obj["mix"] {
            let items = try f.array()
            if items.isEmpty { throw f.error("expected at least one route") }
            for item in items { p.mix.append(try parseRoute(item, hasSession: p.session != nil)) }
        }
        if let f = obj["preset"] { p.preset = try f.preset() }
        if let f = obj["knobs"] { p.knobs = try f.stringMap() }
        if let f = obj["knobSchedule"] {
            for item in try f.array() {
                let o = try item.object(allowed: ["at", "preset", "set"])
                guard let at = o["at"] else { throw item.error("missing \"at\" (e.g. \"30s\")") }
                let step = KnobStep(atSeconds: try at.duration(), preset: try o["preset"]?.preset(),
                                    set: try o["set"]?.stringMap() ?? [:])
                if step.preset == nil && step.set.isEmpty { throw item.error("expected \"preset\" or \"set\"") }
                p.knobSchedule.append(step)
            }
            p.knobSchedule.sort { $0.atSeconds < $1.atSeconds }
        }
        if let f = obj["thresholds"] {
            let t = try f.object(allowed: ["p50", "p95", "p99", "max", "errorRate", "minRate"])
            p.thresholds.p50Seconds = try t["p50"]?.duration()
            p.thresholds.p95Seconds = try t["p95"]?.duration()
            p.thresholds.p99Seconds = try t["p99"]?.duration()
            p.thresholds.maxSeconds = try t["max"]?.duration()
            p.thresholds.maxErrorRate = try t["errorRate"]?.number(min: 0, max: 1)
            p.thresholds.minRate = try t["minRate"]?.number(min: 0)
        }
        // Cross-field checks.
        for (i, route) in p.mix.enumerated() {
            for name in placeholders(in: route.path + (route.body ?? "") + route.headers.values.joined())
            where p.values[name] == nil && !builtinVariables.contains(name) && !(p.session?.extract.keys.contains(name) ?? false) {
                throw ProfileError(file: source, field: "mix[\(i)]",
                                   message: "uses {{\(name)}} but no value list \"\(name)\" is defined under \"values\" (nor by the session)")
            }
        }
        if let registry = knobs {
            try validateKnobs(p.knobs, registry: registry, field: "knobs", file: source)
            for (i, step) in p.knobSchedule.enumerated() {
                try validateKnobs(step.set, registry: registry, field: "knobSchedule[\(i)].set", file: source)
            }
        }
        return p
    }

    /// Variables every request can use without declaring them: the virtual user's number, a per-run id, a sequence,
    /// and the API prefix (`{{api}}`, resolved before the run by `RequestPaths`).
    public static let builtinVariables: Set<String> = ["vu", "run", "seq", "api"]

    /// Checks knob ids and values against the registry, naming the field of the first bad one.
    public static func validateKnobs(_ set: [String: String], registry: KnobRegistry, field: String, file: String) throws(ProfileError) {
        for (id, value) in set.sorted(by: { $0.key < $1.key }) {
            guard let knob = registry[id] else {
                throw ProfileError(file: file, field: "\(field).\(id)",
                                   message: "unknown knob (known: \(registry.knobs.map(\.id).joined(separator: ", ")))")
            }
            guard knob.definition.accepts(value) else {
                throw ProfileError(file: file, field: "\(field).\(id)",
                                   message: "value \"\(value)\" not allowed (expected \(knob.definition.allowedDescription))")
            }
        }
    }

    static func parseLoad(_ f: Field) throws(ProfileError) -> LoadSpec {
        let o = try f.object(allowed: ["model", "stages", "rate", "connections", "users", "thinkTime"])
        let model = try o["model"]?.string() ?? (o["users"] != nil ? "closed" : "open")
        switch model {
        case "open":
            let connections = try o["connections"]?.integer(min: 1, max: 10_000) ?? 64
            var stages: [RateStage] = []
            if let s = o["stages"] {
                for item in try s.array() { stages.append(try parseStage(item)) }
                if stages.isEmpty { throw s.error("expected at least one stage") }
            } else if let r = o["rate"] {
                stages = [.constant(rate: try r.number(min: 0.001), durationSeconds: 0)]
            } else {
                throw f.error("an open model needs \"stages\" or \"rate\"")
            }
            return .open(stages: stages, connections: connections)
        case "closed":
            guard let u = o["users"] else { throw f.error("a closed model needs \"users\"") }
            return .closed(users: try u.integer(min: 1, max: 10_000), thinkTimeSeconds: try o["thinkTime"]?.duration() ?? 0)
        default:
            throw o["model"]!.error("expected \"open\" or \"closed\", got \"\(model)\"")
        }
    }

    static func parseStage(_ f: Field) throws(ProfileError) -> RateStage {
        let o = try f.object()
        guard let typeField = o["type"] else { throw f.error("missing \"type\" (constant, ramp, steps or spike)") }
        func need(_ key: String) throws(ProfileError) -> Field {
            guard let v = o[key] else { throw f.error("a \(try typeField.string()) stage needs \"\(key)\"") }
            return v
        }
        switch try typeField.string() {
        case "constant":
            _ = try f.object(allowed: ["type", "rate", "duration"])
            return .constant(rate: try need("rate").number(min: 0), durationSeconds: try need("duration").duration(minimum: 0.001))
        case "ramp":
            _ = try f.object(allowed: ["type", "from", "to", "duration"])
            return .ramp(from: try need("from").number(min: 0), to: try need("to").number(min: 0),
                         durationSeconds: try need("duration").duration(minimum: 0.001))
        case "steps":
            _ = try f.object(allowed: ["type", "from", "to", "by", "every"])
            let from = try need("from").number(min: 0), to = try need("to").number(min: 0)
            let by = try need("by").number(min: 0.001)
            if to < from { throw f.error("\"to\" (\(to)) must be ≥ \"from\" (\(from))") }
            return .steps(from: from, to: to, by: by, everySeconds: try need("every").duration(minimum: 0.001))
        case "spike":
            _ = try f.object(allowed: ["type", "rate", "peak", "at", "spikeDuration", "duration"])
            let stage = RateStage.spike(rate: try need("rate").number(min: 0), peak: try need("peak").number(min: 0),
                                        atSeconds: try need("at").duration(), spikeSeconds: try need("spikeDuration").duration(minimum: 0.001),
                                        durationSeconds: try need("duration").duration(minimum: 0.001))
            return stage
        case let other:
            throw typeField.error("expected constant, ramp, steps or spike, got \"\(other)\"")
        }
    }

    static func parseRoute(_ f: Field, hasSession: Bool) throws(ProfileError) -> RouteSpec {
        let o = try f.object(allowed: ["name", "weight", "method", "path", "headers", "body", "session", "expect", "undo"])
        guard let path = o["path"] else { throw f.error("missing \"path\"") }
        let pathText = try path.string()
        guard pathText.hasPrefix("/") || pathText.hasPrefix("{{api}}") else {
            throw path.error("expected a path starting with \"/\" or \"{{api}}\", got \"\(pathText)\"")
        }
        var r = RouteSpec(name: "", path: pathText)
        r.method = try o["method"]?.string().uppercased() ?? "GET"
        guard ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"].contains(r.method) else {
            throw o["method"]!.error("expected an HTTP method, got \"\(r.method)\"")
        }
        r.name = try o["name"]?.string() ?? "\(r.method) \(pathText)"
        r.weight = try o["weight"]?.number(min: 0) ?? 1
        r.headers = try o["headers"]?.stringMap() ?? [:]
        r.body = try o["body"]?.bodyText()
        r.usesSession = try o["session"]?.bool() ?? false
        if let e = o["expect"] {
            for item in try e.array() { r.expect.append(try item.integer(min: 100, max: 599)) }
        }
        if let u = o["undo"] {
            let method = try u.string().uppercased()
            guard ["DELETE", "POST", "PUT", "PATCH"].contains(method), method != r.method else {
                throw u.error("expected a method that undoes \(r.method) (e.g. \"DELETE\"), got \"\(method)\"")
            }
            r.undo = method
        }
        if r.usesSession && !hasSession { throw f.error("route uses a session but the profile has no \"session\"") }
        return r
    }

    static func parseValue(_ f: Field) throws(ProfileError) -> ValueSpec {
        let o = try f.object(allowed: ["list", "harvest", "range", "pick"])
        let source: ValueSpec.Source
        if let l = o["list"] {
            var items: [String] = []
            for item in try l.array() { items.append(try item.scalarString()) }
            if items.isEmpty { throw l.error("expected at least one value") }
            source = .list(items)
        } else if let h = o["harvest"] {
            let ho = try h.object(allowed: ["path", "extract", "rank"])
            guard let path = ho["path"], let extract = ho["extract"] else { throw h.error("expected {\"path\": ..., \"extract\": ...}") }
            var byFrequency = false
            if let rank = ho["rank"] {
                switch try rank.string() {
                case "frequency": byFrequency = true
                case "listed": byFrequency = false
                case let other: throw rank.error("expected \"frequency\" or \"listed\", got \"\(other)\"")
                }
            }
            source = .harvest(path: try path.string(), extract: try extract.string(), byFrequency: byFrequency)
        } else if let r = o["range"] {
            let bounds = try r.array()
            guard bounds.count == 2 else { throw r.error("expected [low, high]") }
            let lo = try bounds[0].integer(), hi = try bounds[1].integer()
            if hi < lo { throw r.error("high (\(hi)) < low (\(lo))") }
            source = .range(lo, hi)
        } else {
            throw f.error("expected one of \"list\", \"harvest\" or \"range\"")
        }
        var spec = ValueSpec(source: source)
        if let p = o["pick"] {
            if let s = p.value as? String {
                switch s {
                case "uniform": spec.pick = .uniform
                case "zipf": spec.pick = .zipf(1.0)
                default: throw p.error("expected \"uniform\", \"zipf\" or {\"zipf\": s}, got \"\(s)\"")
                }
            } else {
                let po = try p.object(allowed: ["zipf"])
                guard let s = po["zipf"] else { throw p.error("expected {\"zipf\": s}") }
                spec.pick = .zipf(try s.number(min: 0.01, max: 10))
            }
        }
        return spec
    }

    static func parseSession(_ f: Field) throws(ProfileError) -> SessionSpec {
        let o = try f.object(allowed: ["method", "path", "headers", "body", "extract"])
        guard let path = o["path"] else { throw f.error("missing \"path\" of the setup request") }
        guard let extract = o["extract"] else { throw f.error("missing \"extract\" (e.g. {\"token\": \"user.token\"})") }
        var s = SessionSpec(path: try path.string(), body: try o["body"]?.bodyText(), extract: try extract.stringMap())
        s.method = try o["method"]?.string().uppercased() ?? "POST"
        if let h = o["headers"] { s.headers = try h.stringMap() }
        if s.extract.isEmpty { throw extract.error("expected at least one variable") }
        return s
    }

    /// `{{name}}` placeholders in a template (function-style ones like `{{random(1,9)}}` excluded).
    public static func placeholders(in template: String) -> [String] {
        var names: [String] = []
        var rest = template[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            let name = String(rest[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces)
            if !name.contains("(") { names.append(name) }
            rest = rest[close.upperBound...]
        }
        return names
    }

    static func jsonErrorDetail(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}

/// A JSON value with its path, for error messages.
struct Field {
    let value: Any
    let path: String
    let file: String

    func error(_ message: String) -> ProfileError { ProfileError(file: file, field: path, message: message) }

    private func child(_ key: String, _ v: Any) -> Field {
        Field(value: v, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    func object(allowed: Set<String>? = nil) throws(ProfileError) -> [String: Field] {
        guard let o = value as? [String: Any] else { throw error("expected an object, got \(Field.kind(value))") }
        var out: [String: Field] = [:]
        for (k, v) in o {
            if let allowed, !allowed.contains(k) {
                throw ProfileError(file: file, field: path.isEmpty ? k : "\(path).\(k)",
                                   message: "unknown field (expected one of: \(allowed.filter { $0 != "$comment" }.sorted().joined(separator: ", ")))")
            }
            out[k] = child(k, v)
        }
        return out
    }

    func array() throws(ProfileError) -> [Field] {
        guard let a = value as? [Any] else { throw error("expected an array, got \(Field.kind(value))") }
        return a.enumerated().map { Field(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    func string() throws(ProfileError) -> String {
        guard let s = value as? String else { throw error("expected a string, got \(Field.kind(value))") }
        return s
    }

    /// Strings as-is; numbers and booleans as their JSON text (value lists may hold ids).
    func scalarString() throws(ProfileError) -> String {
        if let s = value as? String { return s }
        if let n = value as? NSNumber, !Field.isBool(n) { return n.stringValue }
        throw error("expected a string or number, got \(Field.kind(value))")
    }

    /// A body given as a string, or as a JSON object/array (written back compactly, placeholders kept).
    func bodyText() throws(ProfileError) -> String {
        if let s = value as? String { return s }
        if value is [String: Any] || value is [Any],
           let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]),
           let text = String(data: data, encoding: .utf8) {
            return text
        }
        throw error("expected a string or a JSON object, got \(Field.kind(value))")
    }

    func bool() throws(ProfileError) -> Bool {
        guard let n = value as? NSNumber, Field.isBool(n) else { throw error("expected true or false, got \(Field.kind(value))") }
        return n.boolValue
    }

    func number(min: Double? = nil, max: Double? = nil) throws(ProfileError) -> Double {
        guard let n = value as? NSNumber, !Field.isBool(n) else { throw error("expected a number, got \(Field.kind(value))") }
        let d = n.doubleValue
        if let min, d < min { throw error("expected a number ≥ \(Field.format(min)), got \(Field.format(d))") }
        if let max, d > max { throw error("expected a number ≤ \(Field.format(max)), got \(Field.format(d))") }
        return d
    }

    func integer(min: Int? = nil, max: Int? = nil) throws(ProfileError) -> Int {
        let d = try number()
        guard d == d.rounded(), abs(d) < 1e15 else { throw error("expected a whole number, got \(Field.format(d))") }
        let i = Int(d)
        if let min, i < min { throw error("expected a whole number ≥ \(min), got \(i)") }
        if let max, i > max { throw error("expected a whole number ≤ \(max), got \(i)") }
        return i
    }

    /// "250ms", "10s", "2m" or a number of seconds.
    func duration(minimum: Double = 0) throws(ProfileError) -> Double {
        let seconds: Double?
        if let s = value as? String { seconds = parseDurationSeconds(s) }
        else if let n = value as? NSNumber, !Field.isBool(n) { seconds = n.doubleValue >= 0 ? n.doubleValue : nil }
        else { seconds = nil }
        guard let seconds else {
            throw error("expected a duration like \"500ms\", \"10s\" or \"2m\", got \(Field.kind(value, showing: true))")
        }
        if seconds < minimum { throw error("expected a duration of at least \(Field.format(minimum)) s, got \(Field.kind(value, showing: true))") }
        return seconds
    }

    func stringMap() throws(ProfileError) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in try object() { out[k] = try v.scalarString() }
        return out
    }

    func preset() throws(ProfileError) -> KnobPreset {
        let s = try string()
        guard let p = KnobPreset(rawValue: s) else { throw error("expected \"naive\" or \"optimized\", got \"\(s)\"") }
        return p
    }

    /// JSONSerialization gives booleans as NSNumber with the C type "c" (char); numbers are never "c".
    static func isBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    static func kind(_ v: Any, showing: Bool = false) -> String {
        switch v {
        case let s as String: return showing ? "\"\(s)\"" : "a string (\"\(s)\")"
        case let n as NSNumber: return isBool(n) ? (n.boolValue ? "true" : "false") : (showing ? n.stringValue : "a number (\(n.stringValue))")
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "\(type(of: v))"
        }
    }

    static func format(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d) }
}

extension KnobDefinition {
    /// Would the registry accept `value` for this knob?
    public func accepts(_ value: String) -> Bool {
        switch kind {
        case .choice(let values): return values.contains(value)
        case .integer(let range): return Int(value).map(range.contains) ?? false
        }
    }
}
