// A tiny interpreter for the subset of JavaScript the Conduit Postman collection's test scripts use, so the
// collection runs as written (newman is not installable here). Supported: `var`, assignment, `if`/`else`, blocks,
// `||` `&&` `===` `!==` `==` `!=` `<` `>` `<=` `>=` `!`, member/index access, calls, string/number/regex/object/array
// literals, and the built-ins the scripts touch: `JSON.parse`, `Number.isInteger`, `Array.isArray`,
// `x.hasOwnProperty`, `.length`, `regex.test`, `pm.globals`/`pm.environment` `.set`/`.get`, `tests[...] = ...`,
// `responseBody`, `responseCode.code`, `environment`. Anything else is a `PostmanScriptError` (so a script the
// interpreter does not understand fails loudly instead of passing silently).
@testable import DemoBackend

indirect enum JSVal: Equatable {
    case undefined, null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSVal])
    case object([(String, JSVal)])
    case regex(String)
    /// A built-in namespace or object, by name ("JSON", "pm.globals", "tests", ...).
    case builtin(String)

    static func == (a: JSVal, b: JSVal) -> Bool { strictEquals(a, b) }

    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = .number(n)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(JSVal.init))
        case .object(let o): self = .object(o.map { ($0.0, JSVal($0.1)) })
        }
    }

    var truthy: Bool {
        switch self {
        case .undefined, .null: false
        case .bool(let b): b
        case .number(let n): n != 0 && !n.isNaN
        case .string(let s): !s.isEmpty
        default: true
        }
    }

    /// JavaScript's `String(value)` for the cases used in `{{variable}}` substitution.
    var stringValue: String {
        switch self {
        case .undefined: "undefined"
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string(let s): s
        default: "[object]"
        }
    }

    static func strictEquals(_ a: JSVal, _ b: JSVal) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.number(x), .number(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.builtin(x), .builtin(y)): x == y
        default: false   // objects/arrays compare by identity in JS; the scripts never do that
        }
    }
}

struct PostmanScriptError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The state a script runs against and the assertions it records.
final class PostmanScriptRuntime {
    var globals: [String: JSVal] = [:]
    var environment: [String: JSVal] = [:]
    /// `tests['name'] = value` assignments in execution order.
    var assertions: [(name: String, passed: Bool)] = []

    // Per request.
    var responseBody = ""
    var responseCode = 0
    private var variables: [String: JSVal] = [:]
    private var currentTests: [String: Bool] = [:]
    private var scriptStart = 0

    func run(_ source: String, responseBody: String, responseCode: Int) throws {
        self.responseBody = responseBody
        self.responseCode = responseCode
        variables = [:]
        currentTests = [:]
        scriptStart = assertions.count
        var parser = try ScriptParser(source)
        let program = try parser.parseProgram()
        for statement in program { try execute(statement) }
    }

    // MARK: Statements

    private func execute(_ s: Statement) throws {
        switch s {
        case .declare(let name, let value):
            variables[name] = try value.map(evaluate) ?? .undefined
        case .assign(let target, let value):
            let v = try evaluate(value)
            switch target {
            case .identifier(let name):
                variables[name] = v
            case .index(let base, let key):
                guard case .builtin("tests") = try evaluate(base) else {
                    throw PostmanScriptError("assignment to an index of something other than `tests`")
                }
                // `tests` is an object: assigning a name twice in one script replaces the first result (newman
                // reports one assertion per name), so keep one entry per name per script.
                let name = try evaluate(key).stringValue
                if currentTests[name] != nil, let i = assertions[scriptStart...].firstIndex(where: { $0.name == name }) {
                    assertions[i].passed = v.truthy
                } else {
                    assertions.append((name, v.truthy))
                }
                currentTests[name] = v.truthy
            default:
                throw PostmanScriptError("unsupported assignment target")
            }
        case .expression(let e):
            _ = try evaluate(e)
        case .ifElse(let condition, let then, let otherwise):
            if try evaluate(condition).truthy {
                for t in then { try execute(t) }
            } else {
                for t in otherwise { try execute(t) }
            }
        }
    }

    // MARK: Expressions

    private func evaluate(_ e: Expression) throws -> JSVal {
        switch e {
        case .literal(let v):
            return v
        case .identifier(let name):
            if let v = variables[name] { return v }
            switch name {
            case "responseBody": return .string(responseBody)
            case "responseCode": return .object([("code", .number(Double(responseCode)))])
            case "environment": return .object(environment.map { ($0.key, $0.value) })
            case "tests", "pm", "JSON", "Number", "Array": return .builtin(name)
            default: throw PostmanScriptError("ReferenceError: \(name) is not defined")
            }
        case .object(let members):
            return .object(try members.map { ($0.0, try evaluate($0.1)) })
        case .array(let items):
            return .array(try items.map(evaluate))
        case .member(let base, let name):
            return try member(try evaluate(base), name)
        case .index(let base, let key):
            let b = try evaluate(base)
            let k = try evaluate(key)
            if case .builtin("tests") = b { return currentTests[k.stringValue].map(JSVal.bool) ?? .undefined }
            if case .array(let items) = b, case .number(let n) = k {
                let i = Int(n)
                return items.indices.contains(i) ? items[i] : .undefined
            }
            return try member(b, k.stringValue)
        case .not(let inner):
            return .bool(!(try evaluate(inner).truthy))
        case .binary(let op, let lhs, let rhs):
            let l = try evaluate(lhs)
            switch op {
            case "||": return l.truthy ? l : try evaluate(rhs)
            case "&&": return l.truthy ? try evaluate(rhs) : l
            default: break
            }
            let r = try evaluate(rhs)
            switch op {
            case "===", "==": return .bool(JSVal.strictEquals(l, r))
            case "!==", "!=": return .bool(!JSVal.strictEquals(l, r))
            case "<", ">", "<=", ">=":
                guard case .number(let x) = l, case .number(let y) = r else { return .bool(false) }
                switch op {
                case "<": return .bool(x < y)
                case ">": return .bool(x > y)
                case "<=": return .bool(x <= y)
                default: return .bool(x >= y)
                }
            default: throw PostmanScriptError("unsupported operator \(op)")
            }
        case .call(let callee, let arguments):
            let args = try arguments.map(evaluate)
            guard case .member(let receiverExpression, let method) = callee else {
                throw PostmanScriptError("only method calls are supported")
            }
            return try call(try evaluate(receiverExpression), method, args)
        }
    }

    private func member(_ base: JSVal, _ name: String) throws -> JSVal {
        switch base {
        case .undefined, .null:
            throw PostmanScriptError("TypeError: cannot read property '\(name)' of \(base.stringValue)")
        case .object(let members):
            return members.last { $0.0 == name }?.1 ?? .undefined
        case .array(let items):
            return name == "length" ? .number(Double(items.count)) : .undefined
        case .string(let s):
            return name == "length" ? .number(Double(s.utf16.count)) : .undefined
        case .builtin(let namespace):
            if namespace == "pm", name == "globals" || name == "environment" { return .builtin("pm.\(name)") }
            return .builtin("\(namespace).\(name)")
        default:
            return .undefined
        }
    }

    private func call(_ receiver: JSVal, _ method: String, _ args: [JSVal]) throws -> JSVal {
        func arg(_ i: Int) -> JSVal { args.indices.contains(i) ? args[i] : .undefined }
        switch (receiver, method) {
        case (.builtin("JSON"), "parse"):
            guard case .string(let text) = arg(0) else { throw PostmanScriptError("JSON.parse of a non-string") }
            do { return JSVal(try JSONParser.parse(text)) } catch {
                throw PostmanScriptError("SyntaxError: JSON.parse: \(error)")
            }
        case (.builtin("Number"), "isInteger"):
            if case .number(let n) = arg(0) { return .bool(n.isFinite && n == n.rounded()) }
            return .bool(false)
        case (.builtin("Array"), "isArray"):
            if case .array = arg(0) { return .bool(true) }
            return .bool(false)
        case (.builtin("pm.globals"), "set"):
            globals[arg(0).stringValue] = arg(1); return .undefined
        case (.builtin("pm.globals"), "get"):
            return globals[arg(0).stringValue] ?? .undefined
        case (.builtin("pm.environment"), "set"):
            environment[arg(0).stringValue] = arg(1); return .undefined
        case (.builtin("pm.environment"), "get"):
            return environment[arg(0).stringValue] ?? .undefined
        case (.object(let members), "hasOwnProperty"):
            let key = arg(0).stringValue
            return .bool(members.contains { $0.0 == key })
        case (.regex(let pattern), "test"):
            let regex: Regex<AnyRegexOutput>
            do { regex = try Regex(pattern) } catch { throw PostmanScriptError("bad regex /\(pattern)/: \(error)") }
            return .bool(arg(0).stringValue.firstMatch(of: regex) != nil)
        case (.undefined, _), (.null, _):
            throw PostmanScriptError("TypeError: cannot call \(method) of \(receiver.stringValue)")
        default:
            throw PostmanScriptError("unsupported call .\(method) on \(receiver)")
        }
    }
}

// MARK: - Syntax

indirect enum Expression {
    case literal(JSVal)
    case identifier(String)
    case object([(String, Expression)])
    case array([Expression])
    case member(Expression, String)
    case index(Expression, Expression)
    case call(Expression, [Expression])
    case not(Expression)
    case binary(String, Expression, Expression)
}

enum Statement {
    case declare(String, Expression?)
    case assign(Expression, Expression)
    case expression(Expression)
    case ifElse(Expression, [Statement], [Statement])
}

enum Token: Equatable {
    case identifier(String)
    case number(Double)
    case string(String)
    case regex(String)
    case punctuation(String)
}

struct ScriptParser {
    private var tokens: [Token] = []
    private var position = 0

    init(_ source: String) throws {
        tokens = try Self.tokenize(Array(source.unicodeScalars))
    }

    // MARK: Tokenizer

    private static func tokenize(_ s: [Unicode.Scalar]) throws -> [Token] {
        var tokens: [Token] = []
        var i = 0
        func isIdentifierStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c == "$" || c.properties.isAlphabetic }
        /// A `/` starts a regex where an operand is expected (after an operator or at the start).
        func regexAllowed() -> Bool {
            guard let last = tokens.last else { return true }
            if case .punctuation(let p) = last { return p != ")" && p != "]" && p != "}" }
            return false
        }
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            if c == "/", i + 1 < s.count, s[i + 1] == "/" {
                while i < s.count, s[i] != "\n" { i += 1 }
                continue
            }
            if isIdentifierStart(c) {
                var j = i
                while j < s.count, isIdentifierStart(s[j]) || ("0"..."9").contains(s[j]) { j += 1 }
                tokens.append(.identifier(String(String.UnicodeScalarView(s[i..<j]))))
                i = j
                continue
            }
            if ("0"..."9").contains(c) {
                var j = i
                while j < s.count, ("0"..."9").contains(s[j]) || s[j] == "." { j += 1 }
                guard let n = Double(String(String.UnicodeScalarView(s[i..<j]))) else { throw PostmanScriptError("bad number") }
                tokens.append(.number(n))
                i = j
                continue
            }
            if c == "'" || c == "\"" {
                var j = i + 1
                var text = String.UnicodeScalarView()
                while j < s.count, s[j] != c {
                    if s[j] == "\\", j + 1 < s.count {
                        j += 1
                        switch s[j] {
                        case "n": text.append("\n")
                        case "t": text.append("\t")
                        default: text.append(s[j])
                        }
                    } else {
                        text.append(s[j])
                    }
                    j += 1
                }
                guard j < s.count else { throw PostmanScriptError("unterminated string") }
                tokens.append(.string(String(text)))
                i = j + 1
                continue
            }
            if c == "/", regexAllowed() {
                var j = i + 1
                var inClass = false
                var pattern = String.UnicodeScalarView()
                while j < s.count {
                    let d = s[j]
                    if d == "\\", j + 1 < s.count { pattern.append(d); pattern.append(s[j + 1]); j += 2; continue }
                    if d == "[" { inClass = true } else if d == "]" { inClass = false } else if d == "/", !inClass { break }
                    pattern.append(d)
                    j += 1
                }
                guard j < s.count else { throw PostmanScriptError("unterminated regex") }
                j += 1
                while j < s.count, s[j].properties.isAlphabetic { j += 1 }   // flags (none used)
                tokens.append(.regex(String(pattern)))
                i = j
                continue
            }
            let three = i + 2 < s.count ? String(String.UnicodeScalarView(s[i...(i + 2)])) : ""
            let two = i + 1 < s.count ? String(String.UnicodeScalarView(s[i...(i + 1)])) : ""
            if ["===", "!=="].contains(three) { tokens.append(.punctuation(three)); i += 3; continue }
            if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) { tokens.append(.punctuation(two)); i += 2; continue }
            if "{}()[];,.=!<>:".unicodeScalars.contains(c) { tokens.append(.punctuation(String(c))); i += 1; continue }
            throw PostmanScriptError("unexpected character '\(c)'")
        }
        return tokens
    }

    // MARK: Parser

    private var current: Token? { position < tokens.count ? tokens[position] : nil }

    private mutating func accept(_ p: String) -> Bool {
        if current == .punctuation(p) { position += 1; return true }
        return false
    }

    private mutating func expect(_ p: String) throws {
        guard accept(p) else { throw PostmanScriptError("expected '\(p)' at token \(position): \(String(describing: current))") }
    }

    mutating func parseProgram() throws -> [Statement] {
        var statements: [Statement] = []
        while current != nil { if let s = try parseStatement() { statements.append(s) } }
        return statements
    }

    private mutating func parseBlockOrStatement() throws -> [Statement] {
        if accept("{") {
            var body: [Statement] = []
            while !accept("}") {
                guard current != nil else { throw PostmanScriptError("unterminated block") }
                if let s = try parseStatement() { body.append(s) }
            }
            return body
        }
        return try parseStatement().map { [$0] } ?? []
    }

    private mutating func parseStatement() throws -> Statement? {
        if accept(";") { return nil }
        if current == .identifier("var") || current == .identifier("let") || current == .identifier("const") {
            position += 1
            guard case .identifier(let name)? = current else { throw PostmanScriptError("expected a name after var") }
            position += 1
            let value = accept("=") ? try parseExpression() : nil
            _ = accept(";")
            return .declare(name, value)
        }
        if current == .identifier("if") {
            position += 1
            try expect("(")
            let condition = try parseExpression()
            try expect(")")
            let then = try parseBlockOrStatement()
            var otherwise: [Statement] = []
            if current == .identifier("else") {
                position += 1
                otherwise = try parseBlockOrStatement()
            }
            return .ifElse(condition, then, otherwise)
        }
        let e = try parseExpression()
        if accept("=") {
            let value = try parseExpression()
            _ = accept(";")
            return .assign(e, value)
        }
        _ = accept(";")
        return .expression(e)
    }

    private mutating func parseExpression() throws -> Expression { try parseBinary(level: 0) }

    private static let levels: [[String]] = [["||"], ["&&"], ["===", "!==", "==", "!="], ["<", ">", "<=", ">="]]

    private mutating func parseBinary(level: Int) throws -> Expression {
        guard level < Self.levels.count else { return try parseUnary() }
        var lhs = try parseBinary(level: level + 1)
        while case .punctuation(let p)? = current, Self.levels[level].contains(p) {
            position += 1
            lhs = .binary(p, lhs, try parseBinary(level: level + 1))
        }
        return lhs
    }

    private mutating func parseUnary() throws -> Expression {
        if accept("!") { return .not(try parseUnary()) }
        return try parsePostfix(try parsePrimary())
    }

    private mutating func parsePostfix(_ base: Expression) throws -> Expression {
        var e = base
        while true {
            if accept(".") {
                guard case .identifier(let name)? = current else { throw PostmanScriptError("expected a property name") }
                position += 1
                e = .member(e, name)
            } else if accept("[") {
                let key = try parseExpression()
                try expect("]")
                e = .index(e, key)
            } else if accept("(") {
                var args: [Expression] = []
                if !accept(")") {
                    repeat { args.append(try parseExpression()) } while accept(",")
                    try expect(")")
                }
                e = .call(e, args)
            } else {
                return e
            }
        }
    }

    private mutating func parsePrimary() throws -> Expression {
        guard let token = current else { throw PostmanScriptError("unexpected end of script") }
        position += 1
        switch token {
        case .number(let n): return .literal(.number(n))
        case .string(let s): return .literal(.string(s))
        case .regex(let r): return .literal(.regex(r))
        case .identifier("true"): return .literal(.bool(true))
        case .identifier("false"): return .literal(.bool(false))
        case .identifier("null"): return .literal(.null)
        case .identifier("undefined"): return .literal(.undefined)
        case .identifier(let name): return .identifier(name)
        case .punctuation("("):
            let e = try parseExpression()
            try expect(")")
            return e
        case .punctuation("{"):
            var members: [(String, Expression)] = []
            if !accept("}") {
                repeat {
                    let key: String
                    switch current {
                    case .identifier(let k)?, .string(let k)?: key = k
                    default: throw PostmanScriptError("expected an object key")
                    }
                    position += 1
                    try expect(":")
                    members.append((key, try parseExpression()))
                } while accept(",")
                try expect("}")
            }
            return .object(members)
        case .punctuation("["):
            var items: [Expression] = []
            if !accept("]") {
                repeat { items.append(try parseExpression()) } while accept(",")
                try expect("]")
            }
            return .array(items)
        default:
            throw PostmanScriptError("unexpected token \(token)")
        }
    }
}
