// Request templates: split once into literal byte chunks and slots; rendering appends bytes into a reused buffer.
import HTTP

/// Where a template slot's value comes from.
enum SlotSource: Sendable, Equatable {
    /// A value list (index into the compiled lists); one pick per list per request, so a name used twice in one
    /// request gets the same value.
    case list(Int)
    /// A number unique to the request within the run.
    case seq
    /// A uniform integer in the inclusive range.
    case random(low: Int, high: Int)
    /// The virtual user (closed model) or session/connection (open model) number.
    case vu
    /// The run identifier.
    case run
    /// A session variable (index into the session's extracted variables).
    case session(Int)
}

/// How a value is written into its context.
enum SlotEncoding: Int, Sendable {
    /// As is (header values).
    case raw = 0
    /// Percent-encoded, everything but unreserved characters (request paths and queries).
    case percent = 1
    /// Escaped for inside a JSON string (bodies).
    case json = 2
}

enum TemplatePiece: Sendable, Equatable {
    case literal([UInt8])
    case slot(SlotSource, SlotEncoding)
}

/// A value in its three encodings, computed once before the run.
struct EncodedValue: Sendable {
    let encodings: [[UInt8]]   // indexed by SlotEncoding.rawValue

    init(_ text: String) {
        let raw = Array(text.utf8)
        encodings = [raw, TemplateEncoding.percent(raw), TemplateEncoding.json(raw)]
    }

    @inline(__always)
    func bytes(_ encoding: SlotEncoding) -> [UInt8] { encodings[encoding.rawValue] }
}

enum TemplateEncoding {
    static func percent(_ raw: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        for b in raw {
            let unreserved = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
                || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
            if unreserved { out.append(b) } else { out += [0x25, hex[Int(b >> 4)], hex[Int(b & 15)]] }
        }
        return out
    }

    static func json(_ raw: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        for b in raw {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0..<0x20: out += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        return out
    }
}

/// Parses `{{...}}` templates.
enum TemplateParser {
    /// Splits `text` into pieces; `resolve` maps a slot name to its source (throwing for unknown names).
    /// `field` names the template in errors, e.g. "route \"get article\" path".
    static func parse(_ text: String, encoding: SlotEncoding, field: String,
                      resolve: (String) throws(LoadPlanError) -> SlotSource) throws(LoadPlanError) -> [TemplatePiece] {
        var pieces: [TemplatePiece] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.literal(Array(rest[..<open.lowerBound].utf8))) }
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw LoadPlanError("\(field): unclosed \"{{\" in \"\(text)\"")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingSpaces()
            guard !name.isEmpty else { throw LoadPlanError("\(field): empty \"{{}}\" in \"\(text)\"") }
            pieces.append(.slot(try source(of: name, field: field, resolve: resolve), encoding))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.literal(Array(rest.utf8))) }
        return pieces
    }

    private static func source(of name: String, field: String,
                               resolve: (String) throws(LoadPlanError) -> SlotSource) throws(LoadPlanError) -> SlotSource {
        switch name {
        case "seq": return .seq
        case "vu": return .vu
        case "run": return .run
        default: break
        }
        if name.hasPrefix("random(") && name.hasSuffix(")") {
            let args = name.dropFirst("random(".count).dropLast().split(separator: ",")
            guard args.count == 2, let low = Int(args[0].trimmingSpaces()), let high = Int(args[1].trimmingSpaces()),
                  low <= high else {
                throw LoadPlanError("\(field): \"{{\(name)}}\" should be {{random(low,high)}} with integers low ≤ high")
            }
            return .random(low: low, high: high)
        }
        return try resolve(name)
    }

    /// Joins adjacent literals.
    static func coalesce(_ pieces: [TemplatePiece]) -> [TemplatePiece] {
        var out: [TemplatePiece] = []
        for piece in pieces {
            if case .literal(let bytes) = piece, case .literal(let previous)? = out.last {
                out[out.count - 1] = .literal(previous + bytes)
            } else if case .literal(let bytes) = piece, bytes.isEmpty {
                continue
            } else {
                out.append(piece)
            }
        }
        return out
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// A route ready to render: its request head and body as pieces, or the whole request pre-rendered.
struct CompiledRoute: Sendable {
    let name: String
    let method: String
    /// Request line, Host and the route's headers (each line ending in CRLF), without the final blank line.
    let head: [TemplatePiece]
    /// Body pieces (empty for no body).
    let body: [TemplatePiece]
    /// Whether a Content-Length header is sent (a body, or a method that usually has one).
    let sendsLength: Bool
    /// The complete request bytes when no piece is a slot (rendering is then one copy).
    let staticBytes: [UInt8]?
    /// Whether the slots include session variables (the route needs a session).
    let usesSession: Bool
    /// HEAD responses have no body whatever their headers say (stored: read per request).
    let expectsNoBody: Bool
    /// Error statuses the route declares as expected (`RoutePlan.expect`).
    var expectedErrors = StatusSet()
    /// The same request with the undo method and no body (`RoutePlan.undoMethod`), rendered with the same values.
    var undoHead: [TemplatePiece]? = nil
}

extension CompiledRoute {
    /// Compiles `route` for `target`, resolving names against value lists and session variables.
    static func compile(_ route: RoutePlan, target: TargetAddress, listIndex: [String: Int],
                        sessionVariables: [String]) throws(LoadPlanError) -> CompiledRoute {
        let label = "route \"\(route.name)\""
        guard !route.method.isEmpty, route.method.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw LoadPlanError("\(label): invalid method \"\(route.method)\"")
        }
        guard route.path.hasPrefix("/") else {
            throw LoadPlanError("\(label): path \"\(route.path)\" must start with \"/\"")
        }
        let resolve = { (name: String) throws(LoadPlanError) -> SlotSource in
            if let index = listIndex[name] { return .list(index) }
            if let index = sessionVariables.firstIndex(of: name) { return .session(index) }
            throw LoadPlanError("\(label): unknown template variable {{\(name)}} (no value list or session variable "
                + "of that name; built-ins are seq, vu, run, random(low,high))")
        }
        var head: [TemplatePiece] = [.literal(Array("\(route.method) \(target.basePath)".utf8))]
        head += try TemplateParser.parse(route.path, encoding: .percent, field: "\(label) path", resolve: resolve)
        head.append(.literal(Array(" HTTP/1.1\r\n".utf8)))
        if !route.headers.contains(where: { $0.name.lowercased() == "host" }) {
            head.append(.literal(Array("Host: \(HTTPClient.hostHeader(host: target.host, port: target.port))\r\n".utf8)))
        }
        for header in route.headers {
            guard !header.name.isEmpty, !header.name.contains(":"), !header.name.contains(" ") else {
                throw LoadPlanError("\(label): invalid header name \"\(header.name)\"")
            }
            if header.name.lowercased() == "content-length" { continue }   // computed per request
            head.append(.literal(Array("\(header.name): ".utf8)))
            head += try TemplateParser.parse(header.value, encoding: .raw, field: "\(label) header \(header.name)",
                                             resolve: resolve)
            head.append(.literal([13, 10]))
        }
        let body = try route.body.map { (text) throws(LoadPlanError) in
            try TemplateParser.parse(text, encoding: .json, field: "\(label) body", resolve: resolve)
        } ?? []
        let sendsLength = route.body != nil || ["POST", "PUT", "PATCH"].contains(route.method)
        let headPieces = TemplateParser.coalesce(head)
        let bodyPieces = TemplateParser.coalesce(body)
        let isSlot = { (piece: TemplatePiece) -> Bool in if case .slot = piece { return true } else { return false } }
        let usesSession = (headPieces + bodyPieces).contains {
            if case .slot(.session, _) = $0 { return true } else { return false }
        }
        var staticBytes: [UInt8]?
        if !headPieces.contains(where: isSlot) && !bodyPieces.contains(where: isSlot) {
            var bytes: [UInt8] = []
            var bodyBytes: [UInt8] = []
            for case .literal(let l) in headPieces { bytes += l }
            for case .literal(let l) in bodyPieces { bodyBytes += l }
            if sendsLength { bytes += Array("Content-Length: \(bodyBytes.count)\r\n".utf8) }
            bytes += [13, 10] + bodyBytes
            staticBytes = bytes
        }
        var compiled = CompiledRoute(name: route.name, method: route.method, head: headPieces, body: bodyPieces,
                                     sendsLength: sendsLength, staticBytes: staticBytes, usesSession: usesSession,
                                     expectsNoBody: route.method == "HEAD")
        compiled.expectedErrors = StatusSet(route.expect)
        if let undo = route.undoMethod {
            guard !undo.isEmpty, undo.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), undo != route.method else {
                throw LoadPlanError("\(label): invalid undo method \"\(undo)\" (e.g. DELETE, different from \(route.method))")
            }
            // The head starts with "METHOD " + base path: swap the method, keep every other piece (and no body).
            var undoHead = headPieces
            if case .literal(let first) = undoHead[0] {
                undoHead[0] = .literal(Array("\(undo) ".utf8) + first.dropFirst(route.method.utf8.count + 1))
            }
            compiled.undoHead = undoHead
        }
        return compiled
    }
}
