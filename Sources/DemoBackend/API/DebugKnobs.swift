import Knobs

/// `GET/PUT /debug/knobs`: the knob registry over HTTP.
enum DebugKnobs {
    /// `{"<id>": {"value": "...", "allowed": "off|on", "default": "...", "naive": "...", "optimized": "...",
    /// "description": "..."}, ...}` in registry order.
    static func state(_ registry: KnobRegistry) -> [UInt8] {
        var json = JSONWriter(capacity: 2048)
        json.beginObject()
        for knob in registry.knobs {
            let d = knob.definition
            json.dynamicKey(d.id)
            json.beginObject()
            json.key("value"); json.string(knob.value)
            json.key("allowed"); json.string(d.allowedDescription)
            json.key("default"); json.string(d.defaultValue)
            json.key("naive"); json.string(d.naiveValue)
            json.key("optimized"); json.string(d.optimizedValue)
            json.key("description"); json.string(d.summary)
            json.endObject()
        }
        json.endObject()
        return json.bytes
    }

    /// Applies `{"preset": "naive"|"optimized"}` and/or `{"<id>": "<value>", ...}` (numbers accepted for integer
    /// knobs) as ONE atomic change: the preset's values overlaid with the explicit ones, validated as a whole by
    /// `KnobRegistry.set`. 400 naming the knob (or `preset`/`body`) on anything it cannot apply.
    static func apply(_ body: [UInt8], to registry: KnobRegistry) throws(APIError) {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw APIError.badRequest(field: "body", message: "invalid JSON: \(error.description)")
        }
        guard case .object(let members) = document else {
            throw APIError.badRequest(field: "body", message: "expected a JSON object of knob ids to values")
        }
        var assignments: [String: String] = [:]
        if let preset = document["preset"] {
            guard let name = preset.stringValue, let p = KnobPreset(rawValue: name) else {
                throw APIError.badRequest(field: "preset", message: "unknown preset (expected naive|optimized)")
            }
            assignments = registry.assignments(for: p)
        }
        for (id, value) in members where id != "preset" {
            switch value {
            case .string(let s): assignments[id] = s
            case .number(let n) where n == n.rounded() && abs(n) < 1e15: assignments[id] = String(Int64(n))
            case .bool(let b): assignments[id] = b ? "on" : "off"
            default:
                throw APIError.badRequest(field: id, message: "value must be a string or an integer")
            }
        }
        do {
            try registry.set(assignments, source: "http")
        } catch {
            throw APIError.badRequest(field: error.knob, message: error.message)
        }
    }
}
