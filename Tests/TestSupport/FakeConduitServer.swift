// A small in-process RealWorld ("Conduit") server that differs from Dyno's demo the way third-party ones do:
// no /api prefix (by default), 409 on a repeated favorite or follow (and on undoing what was not done), tags listed
// alphabetically with the first ones on no article, usernames capped at 20 characters, 201 on registration, and
// Prometheus metrics under common names (http_requests_total, http_request_duration_seconds, process_*).
import Foundation
import HTTP
import Synchronization

public final class FakeConduitServer: Sendable {
    /// Every tag, alphabetically (as the server lists them); the first `emptyTags` are on no article.
    public static let tags = ["aardvark", "abacus", "absent", "acorn", "beta", "cloud", "delta", "echo", "falcon",
                              "gamma", "harbor", "iris"]
    public static let emptyTags = 4
    public static let maxUsernameLength = 20

    public struct Article: Sendable {
        public let slug: String
        public let title: String
        public let author: String
        public let tags: [String]
    }

    private struct State: Sendable {
        var tokens: [String: String] = [:]          // token → username
        var usernames: Set<String> = []
        var favorites: Set<String> = []              // "user\u{0}slug"
        var follows: Set<String> = []                // "user\u{0}author"
        var comments: [String: Int] = [:]
        var requests: [String: Int] = [:]            // "METHOD handler status" → count
        var durationSums: [String: Double] = [:]     // "METHOD handler" → seconds
        var durationCounts: [String: Int] = [:]
        var conflicts = 0
    }

    public let articles: [Article]
    public let authors: [String]
    /// "" (the default: no prefix) or e.g. "/api".
    public let prefix: String
    private let server: HTTPServer
    private let state = Mutex(State())

    public var port: Int { server.port }
    /// 409 answers so far (repeated favorites/follows, or undoing what was not done).
    public var conflicts: Int { state.withLock { $0.conflicts } }

    public init(prefix: String = "", articleCount: Int = 60) throws {
        self.prefix = prefix
        let authors = (0..<8).map { "author\($0)" }
        let usable = Array(Self.tags.dropFirst(Self.emptyTags))
        var articles: [Article] = []
        for i in 0..<articleCount {
            // Later tags in the list are the popular ones here: alphabetical order says nothing about use.
            let main = usable[usable.count - 1 - (i % 3 == 0 ? 0 : i % usable.count)]
            let extra = usable[(i * 7) % usable.count]
            articles.append(Article(slug: "article-\(i)", title: "Article \(i)", author: authors[i % authors.count],
                                    tags: main == extra ? [main] : [main, extra]))
        }
        self.articles = articles
        self.authors = authors
        var config = HTTPServerConfiguration()
        config.threads = 2
        let box = Box()
        self.box = box
        server = HTTPServer(configuration: config) { request, responder in
            guard let me = box.server.withLock({ $0 }) else { return responder.respond(HTTPResponse(status: 503)) }
            responder.respond(me.handle(request))
        }
        box.server.withLock { $0 = self }
        _ = try server.start()
    }

    /// Stops the server (and breaks the handler's reference to it).
    public func stop() {
        server.stop()
        box.server.withLock { $0 = nil }
    }

    /// The handler reaches the server through this (the server cannot capture itself before it is initialised).
    private final class Box: Sendable {
        let server = Mutex<FakeConduitServer?>(nil)
    }
    private let box: Box

    // MARK: - Routing

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        if request.method == "GET" && request.path == "/metrics" { return metrics() }
        guard request.path.hasPrefix(prefix + "/") else { return json(404, ["errors": ["body": ["not found"]]]) }
        let parts = request.path.dropFirst(prefix.count).split(separator: "/").map(String.init)
        let user = authenticated(request)
        let (handler, response) = route(request.method, parts, request, user: user)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        state.withLock { s in
            s.requests["\(request.method) \(handler) \(response.status)", default: 0] += 1
            s.durationSums["\(request.method) \(handler)", default: 0] += seconds
            s.durationCounts["\(request.method) \(handler)", default: 0] += 1
            if response.status == 409 { s.conflicts += 1 }
        }
        return response
    }

    private func route(_ method: String, _ p: [String], _ request: HTTPRequest,
                       user: String?) -> (String, HTTPResponse) {
        switch (method, p.count, p.first) {
        case ("POST", 1, "users"): return ("/users", register(request))
        case ("GET", 1, "tags"): return ("/tags", json(200, ["tags": Self.tags]))
        case ("GET", 1, "articles"): return ("/articles", list(request, user: user))
        case ("GET", 2, "articles") where p[1] == "feed":
            guard let user else { return ("/articles/feed", unauthorized()) }
            let followed = state.withLock { s in Set(authors.filter { s.follows.contains(user + "\u{0}" + $0) }) }
            return ("/articles/feed", page(articles.filter { followed.contains($0.author) }, request, user: user))
        case ("GET", 2, "articles"):
            guard let a = article(p[1]) else { return ("/articles/{slug}", notFound()) }
            return ("/articles/{slug}", json(200, ["article": encode(a, user: user)]))
        case ("GET", 3, "articles") where p[2] == "comments":
            guard article(p[1]) != nil else { return ("/articles/{slug}/comments", notFound()) }
            let n = state.withLock { $0.comments[p[1]] ?? 0 }
            let comments = (0..<min(n, 20)).map { ["id": $0 + 1, "body": "comment \($0)", "createdAt": "2026-01-01T00:00:00.000Z",
                                                   "updatedAt": "2026-01-01T00:00:00.000Z",
                                                   "author": profile("author0", user: user)] as [String: Any] }
            return ("/articles/{slug}/comments", json(200, ["comments": comments]))
        case ("POST", 3, "articles") where p[2] == "comments":
            guard let user else { return ("/articles/{slug}/comments", unauthorized()) }
            guard article(p[1]) != nil else { return ("/articles/{slug}/comments", notFound()) }
            let n = state.withLock { s in s.comments[p[1], default: 0] += 1; return s.comments[p[1]]! }
            return ("/articles/{slug}/comments", json(200, ["comment": ["id": n, "body": "ok", "author": profile(user, user: user)]]))
        case ("POST", 3, "articles") where p[2] == "favorite", ("DELETE", 3, "articles") where p[2] == "favorite":
            guard let user else { return ("/articles/{slug}/favorite", unauthorized()) }
            guard let a = article(p[1]) else { return ("/articles/{slug}/favorite", notFound()) }
            let ok = state.withLock { s in
                method == "POST" ? s.favorites.insert(user + "\u{0}" + a.slug).inserted
                    : s.favorites.remove(user + "\u{0}" + a.slug) != nil
            }
            guard ok else { return ("/articles/{slug}/favorite", conflict(method == "POST" ? "already favorited" : "not favorited")) }
            return ("/articles/{slug}/favorite", json(200, ["article": encode(a, user: user)]))
        case ("GET", 2, "profiles"):
            guard authors.contains(p[1]) || state.withLock({ $0.usernames.contains(p[1]) }) else {
                return ("/profiles/{username}", notFound())
            }
            return ("/profiles/{username}", json(200, ["profile": profile(p[1], user: user)]))
        case ("POST", 3, "profiles") where p[2] == "follow", ("DELETE", 3, "profiles") where p[2] == "follow":
            guard let user else { return ("/profiles/{username}/follow", unauthorized()) }
            guard authors.contains(p[1]) else { return ("/profiles/{username}/follow", notFound()) }
            let ok = state.withLock { s in
                method == "POST" ? s.follows.insert(user + "\u{0}" + p[1]).inserted : s.follows.remove(user + "\u{0}" + p[1]) != nil
            }
            guard ok else { return ("/profiles/{username}/follow", conflict(method == "POST" ? "already following" : "not following")) }
            return ("/profiles/{username}/follow", json(200, ["profile": profile(p[1], user: user)]))
        default:
            return ("other", notFound())
        }
    }

    // MARK: - Handlers

    private func register(_ request: HTTPRequest) -> HTTPResponse {
        guard let doc = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
              let u = doc["user"] as? [String: Any], let name = u["username"] as? String, let email = u["email"] as? String,
              u["password"] is String else {
            return json(422, ["errors": ["body": ["expected user.username, user.email, user.password"]]])
        }
        guard name.count <= Self.maxUsernameLength else {
            return json(422, ["errors": ["username": ["is too long (maximum is \(Self.maxUsernameLength) characters)"]]])
        }
        let token = "t-" + name
        let fresh = state.withLock { s in
            guard s.usernames.insert(name).inserted else { return false }
            s.tokens[token] = name
            return true
        }
        guard fresh else { return json(422, ["errors": ["username": ["has already been taken"]]]) }
        return json(201, ["user": ["username": name, "email": email, "token": token, "bio": NSNull(), "image": NSNull()]])
    }

    private func list(_ request: HTTPRequest, user: String?) -> HTTPResponse {
        var selected = articles.reversed() as [Article]   // newest first
        if let tag = request.queryValue("tag") { selected = selected.filter { $0.tags.contains(tag) } }
        if let author = request.queryValue("author") { selected = selected.filter { $0.author == author } }
        return page(selected, request, user: user)
    }

    private func page(_ all: [Article], _ request: HTTPRequest, user: String?) -> HTTPResponse {
        let limit = min(max(Int(request.queryValue("limit") ?? "20") ?? 20, 1), 100)   // capped lower than the demo
        let offset = max(Int(request.queryValue("offset") ?? "0") ?? 0, 0)
        let shown = offset < all.count ? Array(all[offset..<min(all.count, offset + limit)]) : []
        return json(200, ["articles": shown.map { encode($0, user: user) }, "articlesCount": all.count])
    }

    private func article(_ slug: String) -> Article? {
        guard slug.hasPrefix("article-"), let i = Int(slug.dropFirst(8)), articles.indices.contains(i) else { return nil }
        return articles[i]
    }

    private func encode(_ a: Article, user: String?) -> [String: Any] {
        let (favorited, count) = state.withLock { s in
            (user.map { s.favorites.contains($0 + "\u{0}" + a.slug) } ?? false, s.favorites.filter { $0.hasSuffix("\u{0}" + a.slug) }.count)
        }
        return ["slug": a.slug, "title": a.title, "description": "about \(a.title)", "tagList": a.tags,
                "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
                "favorited": favorited, "favoritesCount": count, "author": profile(a.author, user: user)]
    }

    private func profile(_ name: String, user: String?) -> [String: Any] {
        let following = user.map { u in state.withLock { $0.follows.contains(u + "\u{0}" + name) } } ?? false
        return ["username": name, "bio": NSNull(), "image": NSNull(), "following": following]
    }

    private func authenticated(_ request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"], header.hasPrefix("Token ") else { return nil }
        let token = String(header.dropFirst(6))
        return state.withLock { $0.tokens[token] }
    }

    private func metrics() -> HTTPResponse {
        var out = "# TYPE http_requests_total counter\n"
        let s = state.withLock { $0 }
        for (key, n) in s.requests.sorted(by: { $0.key < $1.key }) {
            let f = key.split(separator: " ")
            out += "http_requests_total{method=\"\(f[0])\",handler=\"\(f[1])\",status=\"\(f[2])\"} \(n)\n"
        }
        out += "# TYPE http_request_duration_seconds histogram\n"
        for (key, sum) in s.durationSums.sorted(by: { $0.key < $1.key }) {
            let f = key.split(separator: " ")
            let labels = "method=\"\(f[0])\",handler=\"\(f[1])\""
            let n = s.durationCounts[key] ?? 0
            out += "http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(n)\n"
            out += "http_request_duration_seconds_sum{\(labels)} \(sum)\n"
            out += "http_request_duration_seconds_count{\(labels)} \(n)\n"
        }
        out += "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 2.5e+07\n"
        return HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4")]),
                            body: Array(out.utf8))
    }

    private func json(_ status: Int, _ object: [String: Any]) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array(data))
    }

    private func notFound() -> HTTPResponse { json(404, ["errors": ["body": ["not found"]]]) }
    private func unauthorized() -> HTTPResponse { json(401, ["errors": ["body": ["missing or bad token"]]]) }
    private func conflict(_ why: String) -> HTTPResponse { json(409, ["errors": ["body": [why]]]) }
}
