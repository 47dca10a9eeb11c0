import Foundation
import HTTP
import Knobs
import Metrics

extension ConduitAPI {
    /// Answers one request through `responder`: at once for most routes, later for the routes that call the
    /// dependency (`GET /api/articles/:slug/related`, and `POST .../comments` for its spam check), whose answer comes
    /// when the dependency's does. The server always calls this one.
    func handle(_ request: HTTPRequest, receivedAt: UInt64, queueNanoseconds: UInt64 = 0, responder: HTTPResponder) {
        if let extraRoutes {
            let match = Router.match(method: request.method, path: request.path)
            if match.route == .relatedArticles || match.route == .addComment {
                var context = RequestContext(route: match.route, metrics: metrics[match.route], receivedAt: receivedAt)
                context.queueNanoseconds = queueNanoseconds
                extraRoutes.callingDependency(match, request, api: self, context) { response, context in
                    var response = response, context = context
                    self.finishPayload(&response, request, &context)
                    let total = MonotonicClock.nanoseconds() &- receivedAt
                    context.metrics.recordRequest(status: response.status, nanoseconds: total)
                    context.recordStages(total: total)
                    responder.respond(response)
                }
                return
            }
        }
        responder.respond(handle(request, receivedAt: receivedAt, queueNanoseconds: queueNanoseconds))
    }
}

/// The routes the dependency and jobs knobs add to the Conduit API:
/// - `GET /api/articles/:slug/related`: the dependency answers related ids, the backend loads up to five articles.
///   Breaker on and the call rejected or failed: an empty list (header `X-Fallback: recommendations`); breaker off
///   and the call failed: 503.
/// - `POST /api/articles/:slug/comments`: a spam check by the dependency first (spam: 422). Breaker on and the check
///   rejected or failed: the comment is stored unchecked and flagged (`comment_flags`, header
///   `X-Spam-Check: skipped`); breaker off and the check failed: 503.
/// - `POST /api/reports` and `GET /api/reports/:id`: the heavy report, inline (201) or queued (202 + Location).
struct ExtraRoutes: Sendable {
    let dependency: DependencyParts
    let reports: ReportJobs
    let ioKnob: Knob?
    let breakerKnob: Knob?
    let jobsKnob: Knob?
    let servingKnob: Knob?
    /// Threads a blocking dependency call shares: the serving threads, or the offloaded workers.
    private let servingThreads: Int
    private let workerThreads: Int
    private let provider: ConnectionProvider
    private let flags: CommentFlags

    private static let async = DependencyIOKnob.choiceIndex("dependency_io", "async")
    private static let breakerOn = BreakerKnob.choiceIndex("breaker", "on")
    private static let queued = JobsKnob.choiceIndex("jobs", "queued")
    private static let offloaded = ServingKnob.choiceIndex("serving", "offloaded")

    init(parts: BackendParts) {
        dependency = parts.dependency
        reports = parts.reports
        ioKnob = parts.knobs["dependency_io"]
        breakerKnob = parts.knobs["breaker"]
        jobsKnob = parts.knobs["jobs"]
        servingKnob = parts.knobs["serving"]
        servingThreads = parts.configuration.serverThreads
        workerThreads = parts.configuration.workerThreads
        provider = parts.provider
        flags = CommentFlags(provider: parts.provider)
    }

    // MARK: Routes that call the dependency

    typealias Finish = @Sendable (HTTPResponse, RequestContext) -> Void

    func callingDependency(_ match: RouteMatch, _ request: HTTPRequest, api: ConduitAPI, _ context: RequestContext,
                           finish: @escaping Finish) {
        var context = context
        let io: DependencyClient.IO = ioKnob?.rawValue == Self.async ? .async : .blocking
        let breakerOn = breakerKnob?.rawValue == Self.breakerOn
        let threads = servingKnob?.rawValue == Self.offloaded ? workerThreads : servingThreads
        do {
            switch match.route {
            case .relatedArticles:
                let viewer = try api.optionalViewer(request, &context)
                let article = try api.store.article(slug: match.parameter, viewerID: viewer, &context)
                let call = HTTPRequest(method: "GET", target: "/related/\(article.id)")
                let started = context
                dependency.client.call(call, io: io, breakerOn: breakerOn, sharedThreads: threads) { outcome in
                    continueAfter(outcome, io: io, started, api: api, finish) { outcome, context in
                        try related(outcome, breakerOn: breakerOn, viewer: viewer, api: api, &context)
                    }
                }
            default:
                let (viewer, _) = try api.requireViewer(request, &context)
                let text = try api.commentText(request)
                let call = HTTPRequest(method: "POST", target: "/spam-check", body: Array(text.utf8))
                let started = context
                dependency.client.call(call, io: io, breakerOn: breakerOn, sharedThreads: threads) { outcome in
                    continueAfter(outcome, io: io, started, api: api, finish) { outcome, context in
                        try comment(outcome, breakerOn: breakerOn, slug: match.parameter, text: text, viewer: viewer,
                                    api: api, &context)
                    }
                }
            }
        } catch {
            finish(Self.errorResponse(error, api: api, route: match.route), context)
        }
    }

    /// Runs the rest of the route: right here after a blocking call (this thread was the one waiting), on the
    /// continuation pool after an async one (this is the client's loop thread, which must not touch SQLite).
    private func continueAfter(_ outcome: DependencyOutcome, io: DependencyClient.IO, _ context: RequestContext,
                               api: ConduitAPI, _ finish: @escaping Finish,
                               _ body: @escaping @Sendable (DependencyOutcome, inout RequestContext) throws -> HTTPResponse) {
        let run: @Sendable () -> Void = {
            var context = context
            let response: HTTPResponse
            do {
                response = try body(outcome, &context)
            } catch {
                response = Self.errorResponse(error, api: api, route: context.route)
            }
            finish(response, context)
        }
        if io == .blocking {
            run()
        } else if !dependency.continuations.submit(run) {
            finish(APIError.unavailable("server busy: dependency continuation queue full").response(), context)
        }
    }

    private func related(_ outcome: DependencyOutcome, breakerOn: Bool, viewer: Int64?, api: ConduitAPI,
                         _ context: inout RequestContext) throws -> HTTPResponse {
        switch outcome {
        case .answered(let response):
            let ids = Self.relatedIDs(response.body)
            var articles: [Article] = []
            for slug in try slugs(ids, &context) {
                // Through the store (and so the cache): an id that vanished meanwhile is skipped.
                guard var article = try? api.store.article(slug: slug, viewerID: viewer, &context) else { continue }
                article.body = nil  // list shape, like every other list of articles
                articles.append(article)
            }
            return api.json(200, ConduitEncoding.articles(ArticlePage(articles: articles, articlesCount: Int64(articles.count))),
                            &context)
        case .rejected, .failed:
            if case .failed(let why) = outcome, !breakerOn { throw DependencyFailure(message: why) }
            var response = api.json(200, ConduitEncoding.articles(ArticlePage(articles: [], articlesCount: 0)), &context)
            response.headers.add(name: "X-Fallback", value: DependencyParts.name)
            return response
        }
    }

    private func comment(_ outcome: DependencyOutcome, breakerOn: Bool, slug: String, text: String, viewer: Int64,
                         api: ConduitAPI, _ context: inout RequestContext) throws -> HTTPResponse {
        var flagged = false
        switch outcome {
        case .answered(let response):
            if Self.isSpam(response.body) {
                throw APIError.validation([(field: "body", messages: ["looks like spam"])])
            }
        case .rejected, .failed:
            if case .failed(let why) = outcome, !breakerOn { throw DependencyFailure(message: why) }
            flagged = true
        }
        let comment = try api.store.addComment(slug: slug, body: text, authorID: viewer, &context)
        // Spec 1.1.0 answers 200 here (not 201).
        var response = api.json(200, ConduitEncoding.comment(comment), &context)
        if flagged {
            try flags.flag(commentID: comment.id, reason: "spam check skipped: \(DependencyParts.name) unavailable", &context)
            response.headers.add(name: "X-Spam-Check", value: "skipped")
        }
        return response
    }

    /// The slugs of `ids` (one query).
    private func slugs(_ ids: [Int64], _ context: inout RequestContext) throws -> [String] {
        guard !ids.isEmpty else { return [] }
        let placeholders = ids.indices.map { "?\($0 + 1)" }.joined(separator: ",")
        return try context.withConnection(provider) { db in
            let select = try db.prepare("SELECT id, slug FROM articles WHERE id IN (\(placeholders))")
            try select.bind(ids.map { .int($0) })
            let found = Dictionary(uniqueKeysWithValues: try select.rows { ($0.int(0), $0.text(1)) })
            return ids.compactMap { found[$0] }  // in the dependency's order
        }
    }

    /// `{"ids":[1,2,3]}` → [1, 2, 3]; anything else → [] (a garbled answer gives no recommendations).
    static func relatedIDs(_ body: [UInt8]) -> [Int64] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let ids = object["ids"] as? [Any] else { return [] }
        return ids.prefix(RecommendationsService.relatedCount).compactMap { ($0 as? NSNumber)?.int64Value }
    }

    static func isSpam(_ body: [UInt8]) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return false }
        return (object["spam"] as? Bool) == true
    }

    /// A failed dependency call with the breaker off: 503, the detail only in the log.
    struct DependencyFailure: Error {
        let message: String
    }

    /// The one mapping of these routes' failures to responses (as `ConduitAPI.handle` does for the others).
    static func errorResponse(_ error: any Error, api: ConduitAPI, route: Route) -> HTTPResponse {
        switch error {
        case let apiError as APIError:
            return apiError.response()
        case is DependencyFailure:
            // Not our bug: the dependency failed (counted in dyno_dependency_failures_total); its detail stays here.
            return APIError.unavailable("\(DependencyParts.name) service unavailable").response()
        case let sqlite as SQLiteError where sqlite.isBusy:
            return APIError.unavailable("database busy").response()
        default:
            return APIError.internalError(requestID: api.errorLog.record(route: route.template, error: error)).response()
        }
    }

    // MARK: Reports

    func reports(_ match: RouteMatch, _ request: HTTPRequest, api: ConduitAPI,
                 _ context: inout RequestContext) throws -> HTTPResponse {
        let (viewer, _) = try api.requireViewer(request, &context)
        if match.route == .getReport {
            guard let id = Int64(match.parameter), let job = try reports.queue.job(id: id),
                  job.kind == ReportJobs.kind, job.payload == String(viewer) else { throw APIError.notFound("report") }
            return api.json(200, Self.reportJSON(job), &context)
        }
        if jobsKnob?.rawValue == Self.queued {
            let id = try reports.queue.enqueue(kind: ReportJobs.kind, payload: String(viewer))
            // As enqueued (a worker may have claimed it already; GET tells what happened next).
            let job = JobRecord(id: id, kind: ReportJobs.kind, payload: String(viewer), status: .queued, attempts: 0,
                                enqueuedAtMilliseconds: 0, runAtMilliseconds: 0)
            var response = api.json(202, Self.reportJSON(job), &context)
            response.headers.add(name: "Location", value: "/api/reports/\(id)")
            return response
        }
        // Inline: the whole computation on this request's thread. Stored too, so GET works the same both ways.
        let result = try reports.compute(viewerID: viewer)
        let id = try reports.queue.recordFinished(kind: ReportJobs.kind, payload: String(viewer),
                                                  result: String(decoding: result, as: UTF8.self))
        guard let job = try reports.queue.job(id: id) else { throw ReportJobs.ReportError.vanished(id) }
        var response = api.json(201, Self.reportJSON(job), &context)
        response.headers.add(name: "Location", value: "/api/reports/\(id)")
        return response
    }

    /// `{"report":{"id","status","attempts","result"?}}`; `result` only when done.
    static func reportJSON(_ job: JobRecord) -> [UInt8] {
        var json = JSONWriter(capacity: 256 + (job.result?.utf8.count ?? 0))
        json.beginObject()
        json.key("report")
        json.beginObject()
        json.key("id"); json.int(job.id)
        json.key("status"); json.string(job.status.rawValue)
        json.key("attempts"); json.int(job.attempts)
        if job.status == .done, let result = job.result {
            json.key("result"); json.raw(Array(result.utf8))
        }
        json.endObject()
        json.endObject()
        return json.bytes
    }
}

/// Comments stored without a spam check (the breaker's fallback), in `comment_flags` of the demo database.
struct CommentFlags: Sendable {
    let provider: ConnectionProvider

    static let createSQL = """
        CREATE TABLE IF NOT EXISTS comment_flags (comment_id INTEGER PRIMARY KEY REFERENCES comments(id) ON DELETE CASCADE,
            reason TEXT NOT NULL, flagged_at INTEGER NOT NULL)
        """

    func flag(commentID: Int64, reason: String, _ context: inout RequestContext) throws {
        try context.withConnection(provider) { db in
            try db.transaction {
                try db.execute(Self.createSQL)
                let insert = try db.prepare("INSERT OR REPLACE INTO comment_flags (comment_id, reason, flagged_at) VALUES (?1, ?2, ?3)")
                try insert.bind(.int(commentID), .text(reason), .int(JobStore.nowMilliseconds()))
                try insert.run()
            }
        }
    }
}
