/// Reading request bodies: `{"<root>": {...}}` objects with string fields, with 422 errors naming the field.
struct RequestBody {
    let fields: JSONValue

    /// Parses `bytes` and takes the object under `root` (e.g. "user").
    /// - Throws: 422 `body: can't be blank` (empty), `body: invalid JSON: … at byte N`, `<root>: can't be blank`
    ///   (missing or not an object).
    /// `encoding` picks the parser: `JSONDecoder` (foundation) or the hand-written `JSONParser` (direct).
    init(_ bytes: [UInt8], encoding: PayloadEncoding = .direct, root: String) throws(APIError) {
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
            throw APIError.validation([(field: "body", messages: ["can't be blank"])])
        }
        let document: JSONValue
        do {
            document = try encoding.parse(bytes)
        } catch {
            throw APIError.validation([(field: "body", messages: ["invalid JSON: \(error.description)"])])
        }
        guard let inner = document[root], inner.isObject else {
            throw APIError.validation([(field: root, messages: ["can't be blank"])])
        }
        fields = inner
    }

    /// The string field `name`: nil when absent or null; 422 `<name>: must be a string` for other types.
    func string(_ name: String) throws(APIError) -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw APIError.validation([(field: name, messages: ["must be a string"])])
        }
    }

    /// Whether the field is present at all (even as null): `PUT /api/user {"bio": null}` clears the bio.
    func has(_ name: String) -> Bool { fields[name] != nil }

    /// A list of strings (`tagList`); nil when absent or null.
    func strings(_ name: String) throws(APIError) -> [String]? {
        switch fields[name] {
        case nil, .null?: return nil
        case .array(let items)?:
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else {
                    throw APIError.validation([(field: name, messages: ["must be a list of strings"])])
                }
                out.append(s)
            }
            return out
        default: throw APIError.validation([(field: name, messages: ["must be a list of strings"])])
        }
    }

    /// Required string fields: all that are missing or blank are reported together, in the order given.
    func required(_ names: [String]) throws(APIError) -> [String] {
        var values: [String] = []
        var blank: [String] = []
        for name in names {
            let value = try string(name)
            if let value, !isBlank(value) { values.append(value) } else { blank.append(name) }
        }
        if !blank.isEmpty { throw APIError.blank(blank) }
        return values
    }
}

/// Empty or only whitespace.
func isBlank(_ s: String) -> Bool {
    s.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
}
