import HTTP
import Knobs
import Metrics

/// The HTTP face of the demo backend: routes a request, authenticates it, calls the store, encodes the answer,
/// and records the route's metrics. Synchronous: the caller decides on which thread it runs (the `serving` knob).
final class ConduitAPI: Sendable {
    let store: any ConduitStore
    let tokens: TokenSigner
    let metrics: BackendMetrics
    let knobs: KnobRegistry
    /// The `/metrics` lines beyond the per-route ones (each knob unit's), supplied by the backend assembly.
    let extraMetrics: @Sendable (inout PrometheusWriter) -> Void
    /// Where a 500's cause goes (with the request id the client sees).
    let errorLog: InternalErrorLog
    /// The routes of the dependency and jobs knobs (related articles, the comment spam check, reports); nil: 404.
    let extraRoutes: ExtraRoutes?
    /// The payload knobs, read once per request with one relaxed atomic load each (nil: not registered).
    private let encodingKnob: Knob?
    private let compressionKnob: Knob?
    private let pagingKnob: Knob?
    let payloadStatistics: PayloadStatistics
    /// The `memory` knob's structure (see `RenderedResponseMemo`).
    let memo: RenderedResponseMemo
    /// Runs a streamed export's batches off the serving threads; false when it cannot take more work.
    let offload: @Sendable (@escaping @Sendable () -> Void) -> Bool

    init(store: any ConduitStore, tokens: TokenSigner, metrics: BackendMetrics, knobs: KnobRegistry,
         errorLog: InternalErrorLog = InternalErrorLog(sink: InternalErrorLog.standardError),
         payloadStatistics: PayloadStatistics = PayloadStatistics(), memo: RenderedResponseMemo? = nil,
         offload: @escaping @Sendable (@escaping @Sendable () -> Void) -> Bool = { work in work(); return true },
         extraMetrics: @escaping @Sendable (inout PrometheusWriter) -> Void = { _ in }, extraRoutes: ExtraRoutes? = nil) {
        self.errorLog = errorLog
        self.extraRoutes = extraRoutes
        self.store = store
        self.tokens = tokens
        self.metrics = metrics
        self.knobs = knobs
        self.extraMetrics = extraMetrics
        self.offload = offload
        encodingKnob = knobs["encoding"]
        compressionKnob = knobs["compression"]
        pagingKnob = knobs["paging"]
        self.payloadStatistics = payloadStatistics
        self.memo = memo ?? MemoryKnob.makeMemo(knobs)
    }

    /// Answers one request. Never throws: every failure becomes an error response (see `APIError`).
    /// - Parameters:
    ///   - receivedAt: when the server handed the request over (monotonic ns); the recorded duration starts there.
    ///   - queueNanoseconds: time it waited for a worker before this call (offloaded serving), stage "queue".
    func handle(_ request: HTTPRequest, receivedAt: UInt64 = MonotonicClock.nanoseconds(),
                queueNanoseconds: UInt64 = 0) -> HTTPResponse {
        let match = Router.match(method: request.method, path: request.path)
        var context = RequestContext(route: match.route, metrics: metrics[match.route], receivedAt: receivedAt)
        context.queueNanoseconds = queueNanoseconds
        var response: HTTPResponse
        do {
            response = try memoized(match, request, &context)
        } catch let error as APIError {
            response = error.response()
        } catch {
            // Storage failures and bugs: the detail goes to the operator's log under a request id, and the client
            // gets only that id (STYLE.md §6).
            if let sqlite = error as? SQLiteError, sqlite.isBusy {
                response = APIError.unavailable("database busy").response()
            } else {
                let id = errorLog.record(route: match.route.template, error: error)
                response = APIError.internalError(requestID: id).response()
            }
        }
        if match.route.method != "GET", match.route != .putKnobs, response.status < 400 { memo.dataChanged() }
        finishPayload(&response, request, &context)
        let total = MonotonicClock.nanoseconds() &- receivedAt
        context.metrics.recordRequest(status: response.status, nanoseconds: total)
        context.recordStages(total: total)
        return response
    }

    /// The answer to a request that needs neither the database nor encoding, or nil: `GET /debug/ping` and cache hits
    /// (see `cachedResponse`). `ServingKnob.dispatch` gives these on the event loop, whatever the `serving` knob says.
    func immediateResponse(_ request: HTTPRequest, receivedAt: UInt64) -> HTTPResponse? {
        guard request.method == "GET" else { return nil }
        let match = Router.match(method: request.method, path: request.path)
        if match.route == .ping {
            metrics[.ping].recordRequest(status: 200, nanoseconds: MonotonicClock.nanoseconds() &- receivedAt)
            return Self.pong
        }
        return cachedResponse(match, request, receivedAt: receivedAt)
    }

    /// `GET /debug/ping`: five fixed bytes, so `wrk` against it measures the HTTP server itself (README "Performance").
    static let pong = response(200, Array("pong\n".utf8), contentType: "text/plain; charset=utf-8")

    /// The response to an anonymous cacheable read (`GET` without a token of an article, its comments, a profile, the
    /// tags or an article list) straight from the cache's stored body, or nil when it is not such a read or not
    /// cached now (then `handle` serves it, and loads it into the cache). Cheap enough for the event loop: no
    /// database, no encoding, one shard lock. Recorded under its route like any response (stage "cache").
    func cachedResponse(_ request: HTTPRequest, receivedAt: UInt64) -> HTTPResponse? {
        guard request.method == "GET" else { return nil }
        return cachedResponse(Router.match(method: request.method, path: request.path), request, receivedAt: receivedAt)
    }

    private func cachedResponse(_ match: RouteMatch, _ request: HTTPRequest, receivedAt: UInt64) -> HTTPResponse? {
        guard request.headers["Authorization"] == nil else { return nil }
        let key: ConduitCacheKey
        switch match.route {
        case .getArticle: key = .article(slug: match.parameter)
        case .listComments: key = .comments(slug: match.parameter)
        case .profile: key = .profile(username: match.parameter)
        case .tags: key = .tags
        case .listArticles:
            guard let query = try? Self.listQuery(request, cap: limitCap) else { return nil }
            key = .articles(ConduitCacheKey.ListKey(query))
        default: return nil
        }
        guard let bodies = store.cachedBodies(for: key) else { return nil }
        var context = RequestContext(route: match.route, metrics: metrics[match.route], receivedAt: receivedAt)
        var response = HTTPResponse(status: 200, headers: Self.jsonHeaders, body: bodies.identity)
        if match.route == .listArticles { addLimitCap(&response) }
        finishPayload(&response, request, &context, stored: bodies)
        let total = MonotonicClock.nanoseconds() &- receivedAt
        context.cacheNanoseconds = total
        context.metrics.recordRequest(status: 200, nanoseconds: total)
        context.recordStages(total: total)
        return response
    }

    /// Records the response's bytes (before compression) and gzips it when the `compression` knob says so. A cache
    /// hit passes its entry's bodies as `stored`: their gzip variant (made once per entry) instead of a compression
    /// per hit.
    func finishPayload(_ response: inout HTTPResponse, _ request: HTTPRequest, _ context: inout RequestContext,
                       stored: CachedBodies? = nil) {
        context.metrics.recordResponseBytes(response.body.count)
        if compressionKnob?.rawValue == 1 {
            ResponseCompression.apply(to: &response, acceptsGzip: Gzip.accepted(by: request.headers),
                                      statistics: payloadStatistics, stored: stored)
            ResponseCompression.applyToStream(&response, acceptsGzip: Gzip.accepted(by: request.headers),
                                              statistics: payloadStatistics)
        }
    }

    /// Conduit reads keep their rendering in the memo of rendered responses (the `memory` knob's structure), with
    /// an `ETag`; a conditional repeat (`If-None-Match`) by the same viewer of the same URL with no write since is
    /// answered from the memo without the store or the encoder: 304 when the tag matches, else the memoized body.
    /// Requests without `If-None-Match` are served as always (the memo only records them).
    private func memoized(_ match: RouteMatch, _ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        switch match.route {
        case .profile, .feed, .listArticles, .getArticle, .listComments, .tags: break
        default: return try dispatch(match, request, &context)
        }
        let key = RenderedResponseMemo.Key(viewer: try optionalViewer(request, &context) ?? -1, target: request.target)
        let now = MonotonicClock.nanoseconds()
        let generation = memo.generation
        if let condition = request.headers["If-None-Match"], let entry = memo.lookup(key, now: now) {
            var headers = HTTPHeaders()
            headers.add(name: "ETag", value: entry.etag)
            if condition == entry.etag || condition == "*" { return HTTPResponse(status: 304, headers: headers) }
            var response = Self.response(200, entry.body, contentType: "application/json; charset=utf-8")
            response.headers.add(name: "ETag", value: entry.etag)
            if match.route == .listArticles || match.route == .feed { addLimitCap(&response) }
            return response
        }
        var response = try dispatch(match, request, &context)
        if response.status == 200 {
            let etag = RenderedResponseMemo.etag(of: response.body)
            response.headers.add(name: "ETag", value: etag)
            // The stored array shares the response's buffer (copy-on-write): remembering it copies nothing.
            memo.store(key, body: response.body, etag: etag, generation: generation, now: now)
        }
        return response
    }

    /// The 503 for a request that could not even be queued (offloaded serving, worker queue full), counted under
    /// its route like any other response.
    func reject(_ request: HTTPRequest, receivedAt: UInt64, reason: String) -> HTTPResponse {
        let route = Router.match(method: request.method, path: request.path).route
        let response = APIError.unavailable(reason).response()
        metrics[route].recordRequest(status: response.status, nanoseconds: MonotonicClock.nanoseconds() &- receivedAt)
        return response
    }

    // MARK: Dispatch

    private func dispatch(_ match: RouteMatch, _ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        switch match.route {
        case .unmatched, .background:
            if !match.allowedMethods.isEmpty { throw APIError.methodNotAllowed(allowed: match.allowedMethods.joined(separator: ", ")) }
            throw APIError.notFound("route")
        case .metrics:
            var out = PrometheusWriter()
            PrometheusExposition.writeRoutes(metrics, to: &out)
            extraMetrics(&out)
            return Self.response(200, out.bytes, contentType: PrometheusWriter.contentType)
        case .ping:
            return Self.pong
        case .getKnobs:
            return json(200, DebugKnobs.state(knobs), &context)
        case .putKnobs:
            try DebugKnobs.apply(request.body, to: knobs)
            return json(200, DebugKnobs.state(knobs), &context)
        case .login: return try login(request, &context)
        case .register: return try register(request, &context)
        case .currentUser:
            let (viewer, token) = try requireViewer(request, &context)
            guard let user = try store.user(id: viewer, &context) else { throw APIError.tokenInvalid }
            return json(200, .user(user, token: token), &context)
        case .updateUser: return try updateUser(request, &context)
        case .profile:
            let viewer = try optionalViewer(request, &context)
            let p = try store.profile(username: match.parameter, viewerID: viewer, &context)
            return json(200, .profile(p), &context)
        case .follow, .unfollow:
            let (viewer, _) = try requireViewer(request, &context)
            let p = try store.setFollowing(match.route == .follow, username: match.parameter, followerID: viewer, &context)
            return json(200, .profile(p), &context)
        case .feed:
            let (viewer, _) = try requireViewer(request, &context)
            var query = try Self.pageQuery(request, cap: limitCap)
            query.feedOf = viewer
            let page = try store.articles(query, viewerID: viewer, &context)
            return listResponse(page, &context)
        case .listArticles:
            let viewer = try optionalViewer(request, &context)
            let query = try Self.listQuery(request, cap: limitCap)
            let page = try store.articles(query, viewerID: viewer, &context)
            return listResponse(page, &context)
        case .export:
            return try export(request, &context)
        case .createArticle: return try createArticle(request, &context)
        case .getArticle:
            let viewer = try optionalViewer(request, &context)
            let a = try store.article(slug: match.parameter, viewerID: viewer, &context)
            return json(200, .article(a), &context)
        case .updateArticle: return try updateArticle(match.parameter, request, &context)
        case .deleteArticle:
            let (viewer, _) = try requireViewer(request, &context)
            try store.deleteArticle(slug: match.parameter, editorID: viewer, &context)
            return HTTPResponse(status: 204)
        case .favorite, .unfavorite:
            let (viewer, _) = try requireViewer(request, &context)
            let a = try store.setFavorite(match.route == .favorite, slug: match.parameter, userID: viewer, &context)
            return json(200, .article(a), &context)
        case .listComments:
            let viewer = try optionalViewer(request, &context)
            let list = try store.comments(slug: match.parameter, viewerID: viewer, &context)
            return json(200, .comments(list), &context)
        case .addComment:
            let (viewer, _) = try requireViewer(request, &context)
            let text = try commentText(request)
            let c = try store.addComment(slug: match.parameter, body: text, authorID: viewer, &context)
            // Spec 1.1.0 answers 200 here (not 201).
            return json(200, .comment(c), &context)
        case .deleteComment:
            let (viewer, _) = try requireViewer(request, &context)
            guard let id = Int64(match.secondParameter) else { throw APIError.commentNotFound }
            try store.deleteComment(slug: match.parameter, commentID: id, editorID: viewer, &context)
            return HTTPResponse(status: 204)
        case .tags:
            let names = try store.tags(&context)
            return json(200, .tags(names), &context)
        case .createReport, .getReport:
            guard let extraRoutes else { throw APIError.notFound("route") }
            return try extraRoutes.reports(match, request, api: self, &context)
        case .relatedArticles:
            // Answered through `handle(_:receivedAt:queueNanoseconds:responder:)` (it may wait on the dependency).
            throw APIError.notFound("route")
        }
    }

    // MARK: Users

    private func login(_ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        let body = try RequestBody(request.body, encoding: payloadEncoding, root: "user")
        let fields = try body.required(["email", "password"])
        var check = InputCheck()
        check.length("email", fields[0], max: InputLimits.email)
        check.length("password", fields[1], max: InputLimits.password)
        try check.finish()
        let user = try store.user(email: fields[0], &context)
        // Verify even for an unknown email (against a fixed hash) so timing does not reveal which emails exist.
        let hash = user?.passwordHash ?? Self.dummyHash
        guard PasswordHasher.verify(fields[1], against: hash), let user else {
            throw APIError.unauthorized(field: "credentials", message: "invalid")
        }
        return json(200, .user(user, token: tokens.sign(userID: user.id, username: user.username)), &context)
    }

    /// A valid hash of a random password, computed once.
    private static let dummyHash = PasswordHasher.hash("dyno-no-such-user-\(UInt64.random(in: 0...UInt64.max))")

    private func register(_ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        let body = try RequestBody(request.body, encoding: payloadEncoding, root: "user")
        let fields = try body.required(["username", "email", "password"])
        var check = InputCheck()
        check.username(fields[0])
        check.length("email", fields[1], max: InputLimits.email)
        check.length("password", fields[2], max: InputLimits.password)
        try check.finish()
        let hash = PasswordHasher.hash(fields[2])
        let user = try store.createUser(username: fields[0], email: fields[1], passwordHash: hash, &context)
        return json(201, .user(user, token: tokens.sign(userID: user.id, username: user.username)), &context)
    }

    private func updateUser(_ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        let (viewer, token) = try requireViewer(request, &context)
        let body = try RequestBody(request.body, encoding: payloadEncoding, root: "user")
        var check = InputCheck()
        check.username(try body.string("username"))
        check.length("email", try body.string("email"), max: InputLimits.email)
        check.length("password", try body.string("password"), max: InputLimits.password)
        check.length("bio", try body.string("bio"), max: InputLimits.bio)
        check.length("image", try body.string("image"), max: InputLimits.image)
        try check.finish()
        var changes = UserChanges()
        var blank: [String] = []
        if let email = try body.string("email") { if isBlank(email) { blank.append("email") } else { changes.email = email } }
        if let username = try body.string("username") {
            if isBlank(username) { blank.append("username") } else { changes.username = username }
        }
        if let password = try body.string("password") {
            if isBlank(password) { blank.append("password") } else { changes.passwordHash = PasswordHasher.hash(password) }
        }
        if body.has("bio") { changes.bio = .some(try body.string("bio")) }
        if body.has("image") { changes.image = .some(try body.string("image")) }
        if !blank.isEmpty { throw APIError.blank(blank) }
        let user = try store.updateUser(id: viewer, changes, &context)
        return json(200, .user(user, token: token), &context)
    }

    // MARK: Articles

    private func createArticle(_ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        let (viewer, _) = try requireViewer(request, &context)
        let body = try RequestBody(request.body, encoding: payloadEncoding, root: "article")
        let fields = try body.required(["title", "description", "body"])
        let tags = Self.normalizedTags(try body.strings("tagList") ?? [])
        var check = InputCheck()
        check.length("title", fields[0], max: InputLimits.title)
        check.length("description", fields[1], max: InputLimits.description)
        check.length("body", fields[2], max: InputLimits.articleBody)
        check.tags(tags)
        try check.finish()
        let a = try store.createArticle(NewArticle(title: fields[0], description: fields[1], body: fields[2], tagList: tags),
                                        authorID: viewer, &context)
        return json(201, .article(a), &context)
    }

    private func updateArticle(_ slug: String, _ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        let (viewer, _) = try requireViewer(request, &context)
        let body = try RequestBody(request.body, encoding: payloadEncoding, root: "article")
        var check = InputCheck()
        check.length("title", try body.string("title"), max: InputLimits.title)
        check.length("description", try body.string("description"), max: InputLimits.description)
        check.length("body", try body.string("body"), max: InputLimits.articleBody)
        check.tags(try body.strings("tagList").map(Self.normalizedTags))
        try check.finish()
        var changes = ArticleChanges()
        var blank: [String] = []
        for (name, keyPath) in [("title", \ArticleChanges.title), ("description", \.description), ("body", \.body)] {
            if let value = try body.string(name) {
                if isBlank(value) { blank.append(name) } else { changes[keyPath: keyPath] = value }
            }
        }
        if !blank.isEmpty { throw APIError.blank(blank) }
        if let tags = try body.strings("tagList") { changes.tagList = Self.normalizedTags(tags) }
        let a = try store.updateArticle(slug: slug, changes, editorID: viewer, &context)
        return json(200, .article(a), &context)
    }

    /// A new comment's text: present, not blank, within `InputLimits.commentBody`. Both comment paths (with and
    /// without the dependency's spam check) read it here, so the limit (and the `encoding` knob) holds for both.
    func commentText(_ request: HTTPRequest) throws(APIError) -> String {
        let text = try RequestBody(request.body, encoding: payloadEncoding, root: "comment").required(["body"])[0]
        var check = InputCheck()
        check.length("body", text, max: InputLimits.commentBody)
        try check.finish()
        return text
    }

    /// Trimmed, non-empty, first occurrence kept.
    static func normalizedTags(_ tags: [String]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for tag in tags {
            let trimmed = String(tag.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            if !trimmed.isEmpty, seen.insert(trimmed).inserted { out.append(trimmed) }
        }
        return out
    }

    /// The page and the filters (`tag`, `author`, `favorited`) of `GET /api/articles`.
    static func listQuery(_ request: HTTPRequest, cap: Int? = ArticleQuery.maxLimit) throws(APIError) -> ArticleQuery {
        try pageQuery(request, cap: cap, filters: true)
    }

    /// `limit` (default 20, ≥ 1, cut to `cap` when there is one) and `offset` (default 0, ≥ 0) from the query string,
    /// and with `filters` the list filters `tag`, `author` and `favorited`. One pass over the query, no array of items
    /// (a cache hit parses it on the event loop).
    static func pageQuery(_ request: HTTPRequest, cap: Int? = ArticleQuery.maxLimit,
                          filters: Bool = false) throws(APIError) -> ArticleQuery {
        var query = ArticleQuery()
        guard request.query != nil else { return query }
        var failure: APIError?
        request.forEachQueryItem { name, value in
            switch name {
            case "limit":
                guard let n = Int(value), n >= 1 else {
                    failure = failure ?? APIError.validation([(field: "limit", messages: ["must be an integer ≥ 1"])])
                    return
                }
                query.limit = min(n, cap ?? n)
            case "offset":
                guard let n = Int(value), n >= 0 else {
                    failure = failure ?? APIError.validation([(field: "offset", messages: ["must be an integer ≥ 0"])])
                    return
                }
                query.offset = n
            case "tag" where filters: query.tag = value
            case "author" where filters: query.author = value
            case "favorited" where filters: query.favoritedBy = value
            default: break
            }
        }
        if let failure { throw failure }
        return query
    }

    // MARK: Paging (the `paging` knob)

    /// `paging=bounded`: list `limit`s are cut to `ArticleQuery.maxLimit` and exports stream; `unbounded`: any
    /// limit is honoured and an export is built whole. Bounded when the knob is not registered.
    private var pagingIsBounded: Bool { (pagingKnob?.rawValue ?? 1) == 1 }
    private var limitCap: Int? { pagingIsBounded ? ArticleQuery.maxLimit : nil }

    /// Tells the client the cap it is under (bounded paging): `X-Limit-Cap: 500`.
    private func addLimitCap(_ response: inout HTTPResponse) {
        if let cap = limitCap { response.headers.add(name: "X-Limit-Cap", value: String(cap)) }
    }

    private func listResponse(_ page: ArticlePage, _ context: inout RequestContext) -> HTTPResponse {
        var response = json(200, .articles(page), &context)
        payloadStatistics.pagedRequests.increment()
        payloadStatistics.recordMaterialized(rows: page.articles.count, bytes: response.body.count)
        addLimitCap(&response)
        return response
    }

    /// `GET /api/export?tag=T` or `?author=A`: `{"articles":[…with bodies…],"articlesCount":N}` in id order.
    private func export(_ request: HTTPRequest, _ context: inout RequestContext) throws -> HTTPResponse {
        let viewer = try optionalViewer(request, &context)
        let tag = request.queryValue("tag"), author = request.queryValue("author")
        let filter: ExportFilter
        switch (tag, author) {
        case (let tag?, nil) where !tag.isEmpty: filter = .tag(tag)
        case (nil, let author?) where !author.isEmpty: filter = .author(author)
        default:
            throw APIError.validation([(field: "export", messages: ["needs exactly one of tag or author"])])
        }
        payloadStatistics.pagedRequests.increment()
        guard pagingIsBounded else {
            // Unbounded: every matching row and the whole body in memory at once.
            let articles = try store.exportArticles(filter, afterID: 0, limit: Int(Int32.max), viewerID: viewer, &context)
            let response = json(200, .articles(ArticlePage(articles: articles, articlesCount: Int64(articles.count))), &context)
            payloadStatistics.wholeExports.increment()
            payloadStatistics.recordMaterialized(rows: articles.count, bytes: response.body.count)
            return response
        }
        payloadStatistics.streamedExports.increment()
        let store = self.store, metrics = context.metrics, encoding = payloadEncoding
        let stream = ExportStream(
            fetch: { afterID, limit in
                // Each batch is its own unit of work: its statements count under the export route.
                var batchContext = RequestContext(route: .export, metrics: metrics)
                return try store.exportArticles(filter, afterID: afterID, limit: limit, viewerID: viewer, &batchContext)
            },
            encodeArticle: { encoding.encodeArticle($0) },
            statistics: payloadStatistics, run: offload,
            // The head is out: the client sees a truncated body; operators see the cause in the error log and the
            // count in /metrics.
            failed: { [errorLog, payloadStatistics] error in
                _ = errorLog.record(route: Route.export.template, error: error)
                payloadStatistics.exportFailures.increment()
            },
            finished: { bytes in metrics.recordResponseBytes(bytes) })
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        return HTTPResponse(status: 200, headers: headers, stream: stream)
    }

    // MARK: Auth

    /// The token of `Authorization: Token <jwt>` (also accepts `Bearer <jwt>`), or nil when there is no header.
    private static func bearerToken(_ request: HTTPRequest) throws(APIError) -> String? {
        guard let header = request.headers["Authorization"] else { return nil }
        for scheme in ["Token ", "Bearer "] where header.hasPrefix(scheme) {
            // Extra spaces after the scheme are skipped byte by byte: `trimmingPrefix` (the generic algorithm)
            // measured 2.3% of the CPU of a feed-and-writes mix in perf, for every authenticated request.
            var token = header.utf8.dropFirst(scheme.utf8.count)
            while token.first == UInt8(ascii: " ") { token = token.dropFirst() }
            if token.isEmpty { throw APIError.tokenMissing }
            return String(Substring(token))
        }
        throw APIError.tokenInvalid
    }

    /// The authenticated user's id and the token; 401 without a valid token.
    func requireViewer(_ request: HTTPRequest, _ context: inout RequestContext) throws(APIError) -> (Int64, String) {
        guard let token = try Self.bearerToken(request) else { throw APIError.tokenMissing }
        do {
            let claims = try tokens.verify(token)
            context.viewerID = claims.userID
            return (claims.userID, token)
        } catch {
            throw APIError.tokenInvalid
        }
    }

    /// The viewer when a token is given (a bad token is still a 401: silently ignoring it hides client bugs).
    func optionalViewer(_ request: HTTPRequest, _ context: inout RequestContext) throws(APIError) -> Int64? {
        guard try Self.bearerToken(request) != nil else { return nil }
        return try requireViewer(request, &context).0
    }

    // MARK: Responses

    func json(_ status: Int, _ body: @autoclosure () -> [UInt8], _ context: inout RequestContext) -> HTTPResponse {
        let started = MonotonicClock.nanoseconds()
        let bytes = body()
        context.encodeNanoseconds &+= MonotonicClock.nanoseconds() &- started
        return HTTPResponse(status: status, headers: Self.jsonHeaders, body: bytes)
    }

    /// A Conduit body, encoded the way the `encoding` knob says (one relaxed atomic load).
    private func json(_ status: Int, _ body: ConduitBody, _ context: inout RequestContext) -> HTTPResponse {
        json(status, payloadEncoding.encode(body), &context)
    }

    /// The `encoding` knob's current path (direct when the knob is not registered).
    var payloadEncoding: PayloadEncoding {
        encodingKnob.flatMap { PayloadEncoding(rawValue: $0.rawValue) } ?? .direct
    }

    /// Built once and shared (copy-on-write): a response's headers cost no allocation.
    static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]

    static func response(_ status: Int, _ body: [UInt8], contentType: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}
