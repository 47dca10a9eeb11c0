/// Every route the backend serves, by template. The template is the metrics label: bounded cardinality, never the
/// raw path (a label per slug would grow without bound).
enum Route: Int, CaseIterable, Sendable {
    case login, register, currentUser, updateUser
    case profile, follow, unfollow
    case feed, listArticles, createArticle, getArticle, updateArticle, deleteArticle
    case listComments, addComment, deleteComment
    case favorite, unfavorite
    case tags
    /// The dependency's route (`dependency_io`, `breaker`) and the heavy one (`jobs`).
    case relatedArticles, createReport, getReport
    /// `GET /api/export?tag=T` or `?author=A`: every article of a tag or author, with bodies (the `paging` knob).
    case export
    case metrics, getKnobs, putKnobs
    /// `GET /debug/ping`: a fixed 5-byte body answered on the event loop; the HTTP server's own ceiling.
    case ping
    /// No route matched (404/405): one label for all of them.
    case unmatched
    /// Not a request: background work of the backend (index builds/drops of the `indexes` knob), so that
    /// `dyno_db_queries_total` counts every statement the backend runs.
    case background

    var method: String {
        switch self {
        case .currentUser, .profile, .feed, .listArticles, .getArticle, .listComments, .tags, .metrics, .getKnobs,
             .relatedArticles, .getReport, .export, .ping: "GET"
        case .login, .register, .follow, .createArticle, .addComment, .favorite, .createReport: "POST"
        case .updateUser, .updateArticle, .putKnobs: "PUT"
        case .unfollow, .deleteArticle, .deleteComment, .unfavorite: "DELETE"
        case .unmatched, .background: "*"
        }
    }

    var path: String {
        switch self {
        case .login: "/api/users/login"
        case .register: "/api/users"
        case .currentUser, .updateUser: "/api/user"
        case .profile: "/api/profiles/:username"
        case .follow, .unfollow: "/api/profiles/:username/follow"
        case .feed: "/api/articles/feed"
        case .listArticles, .createArticle: "/api/articles"
        case .getArticle, .updateArticle, .deleteArticle: "/api/articles/:slug"
        case .listComments, .addComment: "/api/articles/:slug/comments"
        case .deleteComment: "/api/articles/:slug/comments/:id"
        case .favorite, .unfavorite: "/api/articles/:slug/favorite"
        case .tags: "/api/tags"
        case .relatedArticles: "/api/articles/:slug/related"
        case .createReport: "/api/reports"
        case .getReport: "/api/reports/:id"
        case .export: "/api/export"
        case .metrics: "/metrics"
        case .getKnobs, .putKnobs: "/debug/knobs"
        case .ping: "/debug/ping"
        case .unmatched: "unmatched"
        case .background: "background"
        }
    }

    /// "GET /api/articles/:slug"; "unmatched" for no route.
    var template: String { method == "*" ? path : "\(method) \(path)" }
}

/// The result of routing a request: the route plus up to two path parameters (slug/username, comment id).
struct RouteMatch: Sendable, Equatable {
    var route: Route
    var parameter: String = ""
    var secondParameter: String = ""
    /// For `.unmatched`: the methods the path does support (405 when non-empty, else 404).
    var allowedMethods: [String] = []
}

/// Maps method + path to a `Route` by walking the path segments (no regexes, no per-route loop).
enum Router {
    static func match(method: String, path: String) -> RouteMatch {
        // Tolerate one trailing slash ("/api/tags/").
        var trimmed = Substring(path)
        if trimmed.utf8.count > 1, trimmed.utf8.last == UInt8(ascii: "/") { trimmed = trimmed.dropLast() }
        // s[0] is "" (the path starts with "/"); a path longer than any route matches none.
        guard let s = PathSegments(trimmed), s.count >= 2, s[0].isEmpty else { return RouteMatch(route: .unmatched) }

        func pick(_ candidates: [Route], _ p1: Substring = "", _ p2: Substring = "") -> RouteMatch {
            if let r = candidates.first(where: { $0.method == method }) {
                return RouteMatch(route: r, parameter: String(p1), secondParameter: String(p2))
            }
            // HEAD is not served (no body-less variant); report the allowed methods.
            return RouteMatch(route: .unmatched, allowedMethods: candidates.map(\.method))
        }

        if s[1] == "metrics", s.count == 2 { return pick([.metrics]) }
        if s[1] == "debug", s.count == 3, s[2] == "knobs" { return pick([.getKnobs, .putKnobs]) }
        if s[1] == "debug", s.count == 3, s[2] == "ping" { return pick([.ping]) }
        guard s[1] == "api", s.count >= 3 else { return RouteMatch(route: .unmatched) }
        let n = s.count - 2
        let (a, b, c, d) = (s[2], s[3], s[4], s[5])
        switch a {
        case "users":
            if n == 1 { return pick([.register]) }
            if n == 2, b == "login" { return pick([.login]) }
        case "user":
            if n == 1 { return pick([.currentUser, .updateUser]) }
        case "profiles":
            if n == 2, !b.isEmpty { return pick([.profile], b) }
            if n == 3, !b.isEmpty, c == "follow" { return pick([.follow, .unfollow], b) }
        case "articles":
            if n == 1 { return pick([.listArticles, .createArticle]) }
            if n == 2, b == "feed" { return pick([.feed]) }
            guard !b.isEmpty else { break }
            if n == 2 { return pick([.getArticle, .updateArticle, .deleteArticle], b) }
            if n == 3, c == "comments" { return pick([.listComments, .addComment], b) }
            if n == 3, c == "favorite" { return pick([.favorite, .unfavorite], b) }
            if n == 3, c == "related" { return pick([.relatedArticles], b) }
            if n == 4, c == "comments", !d.isEmpty { return pick([.deleteComment], b, d) }
        case "tags":
            if n == 1 { return pick([.tags]) }
        case "reports":
            if n == 1 { return pick([.createReport]) }
            if n == 2, !b.isEmpty { return pick([.getReport], b) }
        case "export":
            if n == 1 { return pick([.export]) }
        default:
            break
        }
        return RouteMatch(route: .unmatched)
    }
}

/// The `/`-separated segments of a path, at most `capacity` of them, without allocating (`split` builds an array
/// per request, and routing runs on every request, cache hits on the event loop included).
struct PathSegments {
    /// The longest route, `/api/articles/:slug/comments/:id`, has 6 (the first is the empty one before the `/`).
    static let capacity = 6
    private var segments: (Substring, Substring, Substring, Substring, Substring, Substring) = ("", "", "", "", "", "")
    private(set) var count = 0

    /// nil when `path` has more than `capacity` segments.
    init?(_ path: Substring) {
        var start = path.startIndex
        while true {
            let end = path[start...].firstIndex(of: "/") ?? path.endIndex
            guard count < Self.capacity else { return nil }
            let segment = path[start..<end]
            switch count {
            case 0: segments.0 = segment
            case 1: segments.1 = segment
            case 2: segments.2 = segment
            case 3: segments.3 = segment
            case 4: segments.4 = segment
            default: segments.5 = segment
            }
            count += 1
            if end == path.endIndex { return }
            start = path.index(after: end)
        }
    }

    /// The segment at `index`, or "" beyond the last.
    subscript(index: Int) -> Substring {
        guard index < count else { return "" }
        switch index {
        case 0: return segments.0
        case 1: return segments.1
        case 2: return segments.2
        case 3: return segments.3
        case 4: return segments.4
        default: return segments.5
        }
    }
}
