// Value types shared by the HTTP/1.1 server and client: headers, request, response.

/// An ordered list of HTTP header fields.
///
/// Order is preserved and duplicates are allowed (e.g. several `Set-Cookie`); lookups by name are
/// ASCII case-insensitive, as RFC 9110 requires. Stored as a flat array: requests carry a handful of
/// headers, so a linear scan beats hashing and allocates nothing.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    private(set) var fields: [(name: String, value: String)]

    /// An empty header list.
    public init() { fields = [] }

    /// Headers from `(name, value)` pairs, in order.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// Number of fields (duplicates counted).
    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    /// Appends a field, keeping any existing fields of the same name.
    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces the first field named `name` (case-insensitive) and removes the others; appends if absent.
    public mutating func replaceOrAdd(name: String, value: String) {
        if let first = fields.firstIndex(where: { Self.equalsIgnoringCase($0.name, name) }) {
            fields[first] = (name: name, value: value)
            var index = fields.count - 1
            while index > first {
                if Self.equalsIgnoringCase(fields[index].name, name) { fields.remove(at: index) }
                index -= 1
            }
        } else {
            fields.append((name: name, value: value))
        }
    }

    /// Removes every field named `name` (case-insensitive).
    public mutating func remove(name: String) {
        fields.removeAll { Self.equalsIgnoringCase($0.name, name) }
    }

    /// The value of the first field named `name` (case-insensitive), or nil.
    public subscript(name: String) -> String? {
        for field in fields where Self.equalsIgnoringCase(field.name, name) { return field.value }
        return nil
    }

    /// The values of all fields named `name` (case-insensitive), in order.
    public func values(_ name: String) -> [String] {
        fields.compactMap { Self.equalsIgnoringCase($0.name, name) ? $0.value : nil }
    }

    /// Whether a comma-separated header (e.g. `Connection: keep-alive, Upgrade`) contains `token`,
    /// compared case-insensitively, across all fields of that name.
    public func containsToken(_ token: String, in name: String) -> Bool {
        for field in fields where Self.equalsIgnoringCase(field.name, name) {
            for part in field.value.split(separator: ",") {
                let trimmed = part.drop(while: { $0 == " " || $0 == "\t" })
                var end = trimmed.endIndex
                while end > trimmed.startIndex {
                    let before = trimmed.index(before: end)
                    if trimmed[before] == " " || trimmed[before] == "\t" { end = before } else { break }
                }
                if Self.equalsIgnoringCase(String(trimmed[trimmed.startIndex..<end]), token) { return true }
            }
        }
        return false
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }

    /// ASCII case-insensitive comparison without allocating.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { ua in
            b.withUTF8 { ub in
                guard ua.count == ub.count else { return false }
                for i in 0..<ua.count {
                    let x = ua[i], y = ub[i]
                    if x == y { continue }
                    // Fold A–Z to a–z only; other bytes must match exactly.
                    let lx = (x &- 65) < 26 ? x | 0x20 : x
                    let ly = (y &- 65) < 26 ? y | 0x20 : y
                    if lx != ly { return false }
                }
                return true
            }
        }
    }
}

/// An HTTP/1.1 request as received by the server or sent by the client.
public struct HTTPRequest: Sendable {
    /// Method token, e.g. `"GET"`.
    public var method: String
    /// Raw request-target, e.g. `"/api/articles?tag=x&limit=20"`.
    public var target: String
    /// Percent-decoded path without the query, e.g. `"/api/articles"`.
    public var path: String
    /// Raw query string without the `?`, or nil when the target has none.
    public var query: String?
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Whether the connection stays open after this exchange. The server sets it from the version and
    /// the `Connection` header (HTTP/1.1 default true; HTTP/1.0 only with `Connection: keep-alive`).
    public var keepAlive: Bool

    /// Builds a request; `path` and `query` are derived from `target`, and `keepAlive` is true unless
    /// `headers` contain `Connection: close`.
    public init(method: String, target: String, headers: HTTPHeaders = .init(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        let split = Self.splitTarget(target)
        self.path = split.path
        self.query = split.query
        self.keepAlive = !headers.containsToken("close", in: "Connection")
    }

    /// Query parameters in order, with `+` and percent escapes decoded. Empty when there is no query.
    public func queryItems() -> [(name: String, value: String)] {
        var items: [(name: String, value: String)] = []
        forEachQueryItem { items.append((name: $0, value: $1)) }
        return items
    }

    /// Calls `body` with each query parameter in order (decoded as in `queryItems()`), without building an array.
    public func forEachQueryItem(_ body: (_ name: String, _ value: String) -> Void) {
        guard let query, !query.isEmpty else { return }
        var rest = Substring(query)
        while !rest.isEmpty {
            let end = rest.firstIndex(of: "&") ?? rest.endIndex
            let pair = rest[rest.startIndex..<end]
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            if pair.isEmpty { continue }
            if let eq = pair.firstIndex(of: "=") {
                body(Self.percentDecode(pair[pair.startIndex..<eq], plusIsSpace: true),
                     Self.percentDecode(pair[pair.index(after: eq)...], plusIsSpace: true))
            } else {
                body(Self.percentDecode(pair, plusIsSpace: true), "")
            }
        }
    }

    /// The decoded value of the first query parameter named `name`, or nil.
    public func queryValue(_ name: String) -> String? {
        queryItems().first { $0.name == name }?.value
    }

    /// Splits a request-target into its percent-decoded path and raw query. An absolute-form target
    /// (`http://host/path`) keeps only its path.
    static func splitTarget(_ target: String) -> (path: String, query: String?) {
        var rest = Substring(target)
        if let fragment = rest.firstIndex(of: "#") { rest = rest[rest.startIndex..<fragment] }
        if !rest.hasPrefix("/"), let scheme = rest.firstRange(of: "://") {
            let afterScheme = rest[scheme.upperBound...]
            rest = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        if let q = rest.firstIndex(of: "?") {
            return (percentDecode(rest[rest.startIndex..<q], plusIsSpace: false),
                    String(rest[rest.index(after: q)...]))
        }
        return (percentDecode(rest, plusIsSpace: false), nil)
    }

    /// Decodes `%XX` escapes (and `+` as space when asked). Malformed escapes are kept literally;
    /// invalid UTF-8 after decoding is repaired with U+FFFD.
    static func percentDecode(_ text: Substring, plusIsSpace: Bool) -> String {
        let utf8 = text.utf8
        // Fast path: nothing to decode (the common case for paths) — no byte copy.
        if !utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let h1 = utf8.index(after: index)
                if h1 != utf8.endIndex {
                    let h2 = utf8.index(after: h1)
                    if h2 != utf8.endIndex, let hi = hexValue(utf8[h1]), let lo = hexValue(utf8[h2]) {
                        bytes.append(hi << 4 | lo)
                        index = utf8.index(after: h2)
                        continue
                    }
                }
                bytes.append(byte)
            } else if plusIsSpace && byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
            index = utf8.index(after: index)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// An HTTP/1.1 response. The server sends it with `Content-Length` (computed from `body`), or, when `stream` is
/// set, with `Transfer-Encoding: chunked` and the stream's pieces after `body` (HTTP/1.0 clients: until close).
public struct HTTPResponse: Sendable {
    /// Status code, e.g. 200.
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The rest of the body, produced while it is sent (server only; the client always reads a whole body).
    public var stream: (any HTTPBodyStream)?

    public init(status: Int, headers: HTTPHeaders = .init(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = nil
    }

    /// A streamed response: `stream` produces the body while it is sent.
    public init(status: Int, headers: HTTPHeaders = .init(), stream: any HTTPBodyStream) {
        self.status = status
        self.headers = headers
        self.body = []
        self.stream = stream
    }

    /// The standard reason phrase for `status` (RFC 9110), or `"Unknown"`.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 203: return "Non-Authoritative Information"
        case 204: return "No Content"
        case 205: return "Reset Content"
        case 206: return "Partial Content"
        case 300: return "Multiple Choices"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 417: return "Expectation Failed"
        case 421: return "Misdirected Request"
        case 422: return "Unprocessable Content"
        case 425: return "Too Early"
        case 426: return "Upgrade Required"
        case 428: return "Precondition Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Unknown"
        }
    }
}
