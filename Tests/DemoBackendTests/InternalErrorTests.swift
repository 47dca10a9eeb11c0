import HTTP
import Knobs
import Metrics
import Synchronization
import Testing
import TestSupport
@testable import DemoBackend
@testable import struct DemoBackend.Comment

/// Internal errors: logged once with the route and a request id, the same id in the 500 body, never SQL in it.
struct InternalErrorTests {
    /// Collects the lines an `InternalErrorLog` writes (what `dyno serve` would print on stderr).
    final class CapturedLines: Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        var sink: InternalErrorLog.Sink { { line in self.lines.withLock { $0.append(line) } } }
    }

    /// A store whose every call fails the way a broken database would, SQL included.
    struct FailingStore: ConduitStore {
        static let failure = SQLiteError(code: 1, message: "no such table: tags", sql: "SELECT name FROM tags\n    ORDER BY n DESC")
        func user(id: Int64, _ context: inout RequestContext) throws -> UserRecord? { throw Self.failure }
        func user(email: String, _ context: inout RequestContext) throws -> UserRecord? { throw Self.failure }
        func createUser(username: String, email: String, passwordHash: String, _ context: inout RequestContext) throws -> UserRecord { throw Self.failure }
        func updateUser(id: Int64, _ changes: UserChanges, _ context: inout RequestContext) throws -> UserRecord { throw Self.failure }
        func profile(username: String, viewerID: Int64?, _ context: inout RequestContext) throws -> Profile { throw Self.failure }
        func setFollowing(_ following: Bool, username: String, followerID: Int64, _ context: inout RequestContext) throws -> Profile { throw Self.failure }
        func articles(_ query: ArticleQuery, viewerID: Int64?, _ context: inout RequestContext) throws -> ArticlePage { throw Self.failure }
        func article(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> Article { throw Self.failure }
        func createArticle(_ article: NewArticle, authorID: Int64, _ context: inout RequestContext) throws -> Article { throw Self.failure }
        func updateArticle(slug: String, _ changes: ArticleChanges, editorID: Int64, _ context: inout RequestContext) throws -> Article { throw Self.failure }
        func deleteArticle(slug: String, editorID: Int64, _ context: inout RequestContext) throws { throw Self.failure }
        func setFavorite(_ favorite: Bool, slug: String, userID: Int64, _ context: inout RequestContext) throws -> Article { throw Self.failure }
        func comments(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> [Comment] { throw Self.failure }
        func addComment(slug: String, body: String, authorID: Int64, _ context: inout RequestContext) throws -> Comment { throw Self.failure }
        func deleteComment(slug: String, commentID: Int64, editorID: Int64, _ context: inout RequestContext) throws { throw Self.failure }
        func tags(_ context: inout RequestContext) throws -> [String] { throw Self.failure }
        func exportArticles(_ filter: ExportFilter, afterID: Int64, limit: Int, viewerID: Int64?,
                            _ context: inout RequestContext) throws -> [Article] { throw Self.failure }
    }

    /// The id inside `{"errors":{"body":["internal error (id ID)"]}}`.
    static func requestID(inBody body: [UInt8]) -> String? {
        guard let message = (try? JSONParser.parse(body))?["errors"]?["body"]?.arrayValue?.first?.stringValue,
              message.hasPrefix("internal error (id "), message.hasSuffix(")") else { return nil }
        return String(message.dropFirst("internal error (id ".count).dropLast())
    }

    @Test func aFailingStoreGivesA500WhoseIdIsTheLoggedOne() throws {
        let captured = CapturedLines()
        let log = InternalErrorLog(sink: captured.sink)
        let api = ConduitAPI(store: FailingStore(), tokens: TokenSigner(secret: Array(repeating: 7, count: 32)),
                             metrics: BackendMetrics(), knobs: DemoBackend.makeKnobRegistry(), errorLog: log)
        let response = api.handle(HTTPRequest(method: "GET", target: "/api/articles/some-slug"))
        #expect(response.status == 500)
        let id = try #require(Self.requestID(inBody: response.body), "\(String(decoding: response.body, as: UTF8.self))")
        #expect(response.headers["X-Request-Id"] == id)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(!body.contains("SELECT") && !body.contains("no such table"))
        #expect(captured.all.count == 1)
        let line = try #require(captured.all.first)
        #expect(line.contains("id=\(id) route=GET /api/articles/:slug:"))
        #expect(line.contains("no such table: tags (SQL: SELECT name FROM tags ORDER BY n DESC)"), "one line: \(line)")
        #expect(log.probe.total == 1)
        #expect(log.probe.recent.map(\.text) == captured.all)
    }

    @Test func aBrokenDatabaseBehindTheRealBackendLogsTheIdTheClientSees() throws {
        let directory = try TemporaryDirectory(prefix: "dyno-internal-error")
        defer { directory.remove() }
        let captured = CapturedLines()
        var configuration = DemoBackendConfiguration()
        configuration.dataDirectory = directory.path
        configuration.scale = 0.01
        configuration.serverThreads = 1
        configuration.errorSink = captured.sink
        let backend = try DemoBackend.assemble(configuration, progress: { _ in }).backend
        let port = try backend.start()
        defer { backend.stop() }
        // Break the database under the running backend: the tag list's table disappears.
        let db = try SQLiteConnection(path: backend.database.path)
        try db.execute("ALTER TABLE tags RENAME TO tags_gone")
        db.close()

        let client = try RawSocketClient(port: port)
        defer { client.close() }
        try client.send("GET /api/tags HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 500)
        let id = try #require(Self.requestID(inBody: response.body))
        #expect(!String(decoding: response.body, as: UTF8.self).contains("tags"))
        let line = try #require(captured.all.first)
        #expect(captured.all.count == 1)
        #expect(line.contains("internal error id=\(id) route=GET /api/tags: "))
        #expect(line.contains("no such table: tags"))
        let probe = backend.probe().internalErrors
        #expect(probe.total == 1 && probe.recent.first?.text == line)
    }

    @Test func linesBeyondTheLimitAreCountedNotWritten() {
        let captured = CapturedLines()
        let now = Atomic<UInt64>(5_000_000_000)
        let log = InternalErrorLog(sink: captured.sink, maxLinesPerSecond: 3, clock: { now.load(ordering: .relaxed) })
        for n in 1...5 { log.report("failure \(n)") }
        #expect(captured.all.count == 3)
        now.store(6_000_000_000, ordering: .relaxed)   // the next second
        log.report("failure 6")
        let lines = captured.all
        #expect(lines.count == 5)
        #expect(lines[3].hasSuffix("2 internal error lines suppressed (at most 3 lines/s; the console and errors.log keep the newest \(InternalErrorLog.keptLines))"))
        #expect(lines[4].hasSuffix("server error: failure 6"))
        // Every line, written or not, is in the probe, numbered.
        #expect(log.probe.total == 6)
        #expect(log.probe.recent.map(\.sequence) == Array(1...6))
        // A burst at the end (7, 8 written with 6; 9, 10 held back) is summed up on flush (the backend's stop).
        for n in 7...10 { log.report("failure \(n)") }
        log.flush()
        #expect(captured.all.last?.contains(" 2 internal error lines suppressed") == true)
    }

    @Test func theProbeKeepsOnlyTheNewestLines() {
        let log = InternalErrorLog(sink: InternalErrorLog.discard)
        for n in 1...(InternalErrorLog.keptLines + 5) { log.report("failure \(n)") }
        let probe = log.probe
        #expect(probe.total == UInt64(InternalErrorLog.keptLines + 5))
        #expect(probe.recent.count == InternalErrorLog.keptLines)
        #expect(probe.recent.last?.text.hasSuffix("failure \(InternalErrorLog.keptLines + 5)") == true)
        #expect(probe.recent.first?.sequence == 6)
    }
}
