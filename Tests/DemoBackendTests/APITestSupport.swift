@testable import DemoBackend
import Knobs
import Metrics
import TestSupport

/// A response as the API tests see it: status, headers, raw body and the parsed JSON (nil when not JSON).
struct APIResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var json: JSONValue?
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}

/// A demo backend on port 0 with its own temporary data directory at a tiny scale, and a keep-alive client.
/// `stop()` stops it; `restart()` starts a new backend on the same data directory.
final class APITestBackend {
    static let scale = 0.01
    let directory: TemporaryDirectory
    let knobs: KnobRegistry
    private(set) var backend: DemoBackend
    private(set) var port: Int
    private var client: RawSocketClient?

    init(knobs: KnobRegistry? = nil) throws {
        directory = try TemporaryDirectory(prefix: "dyno-api-test")
        self.knobs = knobs ?? DemoBackend.makeKnobRegistry()
        backend = try Self.make(directory: directory.path, knobs: self.knobs)
        port = try backend.start()
    }

    private static func make(directory: String, knobs: KnobRegistry) throws -> DemoBackend {
        var configuration = DemoBackendConfiguration()
        configuration.dataDirectory = directory
        configuration.scale = scale
        configuration.serverThreads = 2
        configuration.knobSource = "test"
        return try DemoBackend.assemble(configuration, knobs: knobs, progress: { _ in }).backend
    }

    func stop() {
        client?.close()
        client = nil
        backend.stop()
    }

    func restart() throws {
        stop()
        backend = try Self.make(directory: directory.path, knobs: knobs)
        port = try backend.start()
    }

    deinit {
        client?.close()
        backend.stop()
        directory.remove()
    }

    /// Sends one request on the keep-alive connection (reconnecting if needed) and reads the response.
    @discardableResult
    func request(_ method: String, _ target: String, body: String? = nil, token: String? = nil,
                 headers extra: [(String, String)] = []) throws -> APIResponse {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Token \(token)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return try send(method, target, headers: headers + extra, body: Array((body ?? "").utf8))
    }

    /// Sends exactly these headers (plus Host and Content-Length) and body. A reused keep-alive connection that the
    /// server closed as idle (a test starved of CPU for a minute under the whole suite's load) is answered by sending
    /// again on a new connection, as HTTP clients do; anything else is the test's error.
    func send(_ method: String, _ target: String, headers: [(String, String)], body: [UInt8]) throws -> APIResponse {
        let reused = self.client != nil
        do {
            return try sendOnce(method, target, headers: headers, body: body)
        } catch is RawSocketClient.ClosedBeforeResponse where reused {
            return try sendOnce(method, target, headers: headers, body: body)
        }
    }

    private func sendOnce(_ method: String, _ target: String, headers: [(String, String)], body: [UInt8]) throws -> APIResponse {
        let client = try self.client ?? RawSocketClient(port: port)
        self.client = client
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.count)\r\n\r\n"
        do {
            try client.send(Array(text.utf8) + body)
            let raw = try client.readResponse()
            if raw.header("Connection")?.lowercased() == "close" { client.close(); self.client = nil }
            let json = try? JSONParser.parse(raw.body)
            return APIResponse(status: raw.status, headers: raw.headers, body: raw.body, json: json)
        } catch {
            client.close()
            self.client = nil
            throw error
        }
    }

    /// Registers a user and returns its token.
    func register(_ username: String, email: String? = nil, password: String = "secret-password") throws -> String {
        let r = try request("POST", "/api/users", body: """
            {"user":{"username":"\(username)","email":"\(email ?? "\(username)@dyno.test")","password":"\(password)"}}
            """)
        guard r.status == 201, let token = r.json?["user"]?["token"]?.stringValue else {
            throw TestSupportError("register \(username): \(r.status) \(r.text)")
        }
        return token
    }

    /// Creates an article and returns its slug.
    func createArticle(token: String, title: String, tags: [String] = []) throws -> String {
        let tagList = tags.map { "\"\($0)\"" }.joined(separator: ",")
        let r = try request("POST", "/api/articles", body: """
            {"article":{"title":"\(title)","description":"about \(title)","body":"text of \(title)","tagList":[\(tagList)]}}
            """, token: token)
        guard r.status == 201, let slug = r.json?["article"]?["slug"]?.stringValue else {
            throw TestSupportError("create article \(title): \(r.status) \(r.text)")
        }
        return slug
    }
}

extension JSONValue {
    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
    var intValue: Int? { if case .number(let n) = self, n == n.rounded() { return Int(n) } else { return nil } }
    var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var count: Int? {
        switch self {
        case .array(let a): return a.count
        case .object(let o): return o.count
        default: return nil
        }
    }
    var keys: [String] { if case .object(let o) = self { return o.map(\.0) } else { return [] } }
}
