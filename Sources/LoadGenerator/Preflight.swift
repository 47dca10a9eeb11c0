// The pre-flight check: one request per harvest, the session setup and one request per route of the mix, each
// with its status and a short reason, so a user sees in seconds whether the target speaks the profile's API.
import HTTP

/// One request of the pre-flight check.
public struct PreflightStep: Sendable, Equatable {
    public enum Kind: String, Sendable { case reach, harvest, session, route }
    public var kind: Kind
    /// The harvest's value name, "session" or the route's name.
    public var name: String
    public var method: String
    /// The full URL requested.
    public var url: String
    /// The response status; nil when there was no response (or the step was not tried).
    public var status: Int?
    public var ok: Bool
    /// A short reason: "24 values (hot: beta, cloud, delta)", "status 404: not found", "connection refused".
    public var detail: String
}

public enum Preflight {
    /// Runs the check against `plan.target`: reachability, every harvest, one session, one request per route
    /// (an undo route is undone right after, leaving the server as it was). Never throws: every problem is a step.
    public static func run(_ plan: LoadPlan) -> [PreflightStep] {
        var steps: [PreflightStep] = []
        let root = plan.target.url("")
        do throws(HTTPClientError) {
            try HTTPClient.probe(host: plan.target.host, port: plan.target.port, timeout: min(plan.requestTimeout, .seconds(5)))
        } catch {
            let reason = error.kind == .refused ? "connection refused (is the target running?)" : error.message
            return [PreflightStep(kind: .reach, name: "target", method: "TCP", url: root, status: nil, ok: false, detail: reason)]
        }

        // Harvests: the value lists every later request draws from.
        var values = plan.values
        var failedLists: Set<String> = []
        for harvest in plan.harvests {
            let url = plan.target.url(harvest.path)
            var step = PreflightStep(kind: .harvest, name: harvest.valueName, method: "GET", url: url, status: nil,
                                     ok: false, detail: "")
            var headers = HTTPHeaders(harvest.headers.map { ($0.name, $0.value) })
            headers.add(name: "Accept", value: "application/json")
            let bytes = HTTPClient.serialize(HTTPRequest(method: "GET", target: plan.target.basePath + harvest.path,
                                                         headers: headers),
                                             host: plan.target.host, port: plan.target.port)
            do throws(LoadPlanError) {
                let response = try Preparation.request(bytes, plan: plan, what: "GET \(url)")
                step.status = response.status
                if (200...299).contains(response.status) {
                    let found = Preparation.ranked(try ValueExtractor(harvest.extract).values(in: response.body), harvest.order)
                    if found.isEmpty {
                        step.detail = "no values at \"\(harvest.extract)\" in the response"
                    } else {
                        step.ok = true
                        step.detail = "\(found.count) values for {{\(harvest.valueName)}} (first: "
                            + found.prefix(3).map { Self.short($0, 24) }.joined(separator: ", ") + ")"
                        values[harvest.valueName] = ValueList(found, distribution: harvest.distribution)
                    }
                } else {
                    step.detail = reason(response)
                }
            } catch {
                step.detail = error.description
            }
            if !step.ok { failedLists.insert(harvest.valueName) }
            steps.append(step)
        }
        for name in failedLists { values[name] = ValueList(["dyno-check"], distribution: .uniform) }

        // One session, when a route needs one.
        var sessions: [SessionValues] = []
        var sessionFailed = false
        if let session = plan.session {
            var step = PreflightStep(kind: .session, name: "session", method: session.setup.method,
                                     url: plan.target.url(session.setup.path), status: nil, ok: false, detail: "")
            do throws(LoadPlanError) {
                sessions = try Preparation.createSessions(session, count: 1, plan: plan, values: values)
                step.ok = true
                step.status = nil
                step.detail = "user created, " + session.extract.map { "{{\($0.variable)}}" }.joined(separator: ", ") + " extracted"
            } catch {
                step.detail = error.description
                step.status = Self.status(in: error.description)
                sessionFailed = true
            }
            steps.append(step)
        }

        // One request per route.
        let catalog: RequestCatalog
        do throws(LoadPlanError) {
            catalog = try Preparation.compile(plan, values: values, sessions: sessions)
        } catch {
            steps.append(PreflightStep(kind: .route, name: "mix", method: "", url: root, status: nil, ok: false,
                                       detail: error.description))
            return steps
        }
        var renderer = RequestRenderer(catalog: catalog, seed: plan.seed, lane: 0, lanes: 1)
        let listNames = catalog.lists.map(\.name)
        var bytes: [UInt8] = []
        for (index, route) in catalog.routes.enumerated() {
            renderer.render(route: index, vu: 0, session: 0, into: &bytes)
            let target = Self.requestTarget(bytes)
            var step = PreflightStep(kind: .route, name: route.name, method: route.method,
                                     url: plan.target.url("") + target, status: nil, ok: false, detail: "")
            let missing = route.listsUsed.map { listNames[$0] }.filter(failedLists.contains)
            if !missing.isEmpty {
                step.detail = "not tried: the harvest of {{\(missing[0])}} failed"
            } else if route.usesSession && sessionFailed {
                step.detail = "not tried: the session setup failed"
            } else {
                do throws(LoadPlanError) {
                    let response = try Preparation.request(bytes, plan: plan, what: "\(route.method) \(step.url)",
                                                           noBody: route.expectsNoBody)
                    step.status = response.status
                    step.ok = !route.isUnexpectedError(response.status)
                    step.detail = response.status >= 400
                        ? (step.ok ? "expected: " : "") + reason(response) : "ok, \(response.body.count) bytes"
                    if step.ok, route.undoHead != nil {
                        renderer.renderUndo(route: index, vu: 0, session: 0, into: &bytes)
                        let undo = try Preparation.request(bytes, plan: plan, what: "undo \(step.url)")
                        let undoOK = !route.isUnexpectedError(undo.status)
                        step.ok = step.ok && undoOK
                        let method = String(decoding: bytes.prefix { $0 != 0x20 }, as: UTF8.self)
                        step.detail += "; undone with \(method): \(undo.status)" + (undoOK ? "" : " " + reason(undo))
                    }
                } catch {
                    step.detail = error.description
                }
            }
            steps.append(step)
        }
        return steps
    }

    /// "status 404: not found" from a response (its Conduit `errors` body, or the start of the body).
    static func reason(_ response: HTTPResponse) -> String {
        var text = String(decoding: response.body.prefix(160), as: UTF8.self)
        text = text.replacingNewlines()
        return "status \(response.status)" + (text.isEmpty ? "" : ": " + short(text, 100))
    }

    static func short(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// The request target of serialized request bytes ("GET /x HTTP/1.1" → "/x").
    static func requestTarget(_ bytes: [UInt8]) -> String {
        let line = bytes.prefix { $0 != 13 }
        let parts = line.split(separator: 0x20)
        return parts.count >= 2 ? String(decoding: parts[1], as: UTF8.self) : ""
    }

    /// "… status 422: …" → 422.
    static func status(in message: String) -> Int? {
        guard let r = message.range(of: "status ") else { return nil }
        return Int(message[r.upperBound...].prefix { $0.isNumber })
    }
}

extension CompiledRoute {
    /// Indexes of the value lists this route's templates draw from.
    var listsUsed: [Int] {
        var used: [Int] = []
        for case .slot(.list(let i), _) in head + body where !used.contains(i) { used.append(i) }
        return used
    }
}

extension String {
    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}

extension Preflight {
    /// One GET of `path` on `target` (for hints such as "the API answers without /api"); nil when there is no answer.
    public static func get(_ target: TargetAddress, _ path: String, timeout: Duration = .seconds(3)) -> HTTPResponse? {
        var request = HTTPRequest(method: "GET", target: target.basePath + path)
        request.headers.add(name: "Accept", value: "application/json")
        return try? HTTPClient.send(request, to: target.host, port: target.port, timeout: timeout)
    }
}
