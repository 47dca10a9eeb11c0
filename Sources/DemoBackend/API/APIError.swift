import HTTP

/// Everything that turns a request into an error response. One mapping to HTTP lives in `response` (STYLE.md §6):
/// handlers and the store throw these and never build error bodies themselves. Internal details (SQL, paths) never
/// reach the client.
enum APIError: Error, Equatable {
    /// 422 `{"errors":{"<field>":["<message>", ...]}}`, fields in the given order.
    case validation([(field: String, messages: [String])])
    /// 401: no token where one is required (`token: is missing`), a bad one (`token: is invalid`), or bad
    /// credentials at login (`credentials: invalid`).
    case unauthorized(field: String, message: String)
    /// 403: editing or deleting someone else's article/comment.
    case forbidden(String)
    /// 404: unknown article/profile/comment, or no such route.
    case notFound(String)
    /// 405: the path exists, the method does not.
    case methodNotAllowed(allowed: String)
    /// 400: a request the server cannot interpret (e.g. a bad knob in `PUT /debug/knobs`).
    case badRequest(field: String, message: String)
    /// 503 + Retry-After: no database connection within the acquire timeout, or too many waiters.
    case unavailable(String)
    /// 500: a bug or a storage failure. The detail goes to the `InternalErrorLog` under `requestID`; the client
    /// sees only the id, to quote when reporting it.
    case internalError(requestID: String)

    static func == (a: APIError, b: APIError) -> Bool { a.response().status == b.response().status && a.bodyText == b.bodyText }

    static func blank(_ fields: [String]) -> APIError {
        .validation(fields.map { (field: $0, messages: ["can't be blank"]) })
    }
    static func taken(_ field: String) -> APIError { .validation([(field: field, messages: ["has already been taken"])]) }
    static let tokenMissing = APIError.unauthorized(field: "token", message: "is missing")
    static let tokenInvalid = APIError.unauthorized(field: "token", message: "is invalid")
    static let articleNotFound = APIError.notFound("article")
    static let profileNotFound = APIError.notFound("profile")
    static let commentNotFound = APIError.notFound("comment")

    var status: Int {
        switch self {
        case .validation: 422
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .badRequest: 400
        case .unavailable: 503
        case .internalError: 500
        }
    }

    private var bodyText: String { String(decoding: body(), as: UTF8.self) }

    private func body() -> [UInt8] {
        var json = JSONWriter(capacity: 96)
        json.beginObject()
        json.key("errors")
        json.beginObject()
        switch self {
        case .validation(let fields):
            for (field, messages) in fields {
                json.dynamicKey(field)
                json.beginArray()
                for m in messages { json.string(m) }
                json.endArray()
            }
        case .unauthorized(let field, let message), .badRequest(let field, let message):
            json.dynamicKey(field); json.beginArray(); json.string(message); json.endArray()
        case .forbidden(let what):
            json.dynamicKey(what); json.beginArray(); json.string("forbidden"); json.endArray()
        case .notFound(let what):
            json.dynamicKey(what); json.beginArray(); json.string("not found"); json.endArray()
        case .methodNotAllowed(let allowed):
            json.key("method"); json.beginArray(); json.string("not allowed (allowed: \(allowed))"); json.endArray()
        case .unavailable(let why):
            json.key("server"); json.beginArray(); json.string(why); json.endArray()
        case .internalError(let id):
            json.key("body"); json.beginArray(); json.string("internal error (id \(id))"); json.endArray()
        }
        json.endObject()
        json.endObject()
        return json.bytes
    }

    func response() -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        switch self {
        case .unauthorized: headers.add(name: "WWW-Authenticate", value: "Token")
        case .methodNotAllowed(let allowed): headers.add(name: "Allow", value: allowed)
        case .unavailable: headers.add(name: "Retry-After", value: "1")
        case .internalError(let id): headers.add(name: "X-Request-Id", value: id)
        default: break
        }
        return HTTPResponse(status: status, headers: headers, body: body())
    }
}
