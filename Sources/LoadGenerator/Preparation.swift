// Before a run: harvest value lists from the target, compile the request mix, create sessions.
import Dispatch
import HTTP
import Synchronization

/// The prepared, read-only inputs of the workers.
struct PreparedRun: Sendable {
    var address: ClientAddress
    var catalog: RequestCatalog
}

enum Preparation {
    /// Checks everything that can be checked without the target: shapes, counts, and that every template
    /// compiles against the declared value lists and session variables.
    static func validate(_ plan: LoadPlan) throws(LoadPlanError) {
        guard !plan.routes.isEmpty else { throw LoadPlanError("routes: the request mix is empty") }
        for route in plan.routes {
            guard route.weight.isFinite, route.weight > 0 else {
                throw LoadPlanError("route \"\(route.name)\": weight \(route.weight) must be > 0")
            }
        }
        guard plan.threads >= 1 else { throw LoadPlanError("threads: \(plan.threads) must be ≥ 1") }
        guard plan.requestTimeout > .zero else { throw LoadPlanError("requestTimeout must be > 0") }
        switch plan.model {
        case .open:
            guard plan.connections >= 1 else { throw LoadPlanError("connections: \(plan.connections) must be ≥ 1") }
        case .closed(let users, let think):
            guard users >= 0 else { throw LoadPlanError("users: \(users) must be ≥ 0") }
            guard think >= .zero else { throw LoadPlanError("thinkTime must be ≥ 0") }
        }
        let harvested = Set(plan.harvests.map(\.valueName))
        for (name, list) in plan.values where list.values.isEmpty && !harvested.contains(name) {
            throw LoadPlanError("values \"\(name)\": the list is empty (give values or a harvest)")
        }
        for harvest in plan.harvests {
            _ = try ValueExtractor(harvest.extract)
            guard harvest.path.hasPrefix("/") else {
                throw LoadPlanError("harvest \"\(harvest.valueName)\": path \"\(harvest.path)\" must start with \"/\"")
            }
        }
        for list in plan.values.values { try checkDistribution(list.distribution) }
        for harvest in plan.harvests { try checkDistribution(harvest.distribution) }
        // Compile with placeholder values for harvested lists.
        var values = plan.values
        for harvest in plan.harvests where values[harvest.valueName]?.values.isEmpty ?? true {
            values[harvest.valueName] = ValueList(["placeholder"], distribution: harvest.distribution)
        }
        _ = try compile(plan, values: values, sessions: [])
        if let session = plan.session {
            for (variable, path) in session.extract {
                _ = try ValueExtractor(path)
                guard !variable.isEmpty else { throw LoadPlanError("session extract: empty variable name") }
            }
        }
    }

    private static func checkDistribution(_ d: ValueDistribution) throws(LoadPlanError) {
        if case .zipf(let s) = d, !(s.isFinite && s > 0) {
            throw LoadPlanError("distribution zipf(\(s)): the exponent must be > 0")
        }
    }

    /// Resolves the target, harvests, creates `sessionCount` sessions and compiles the catalog.
    static func prepare(_ plan: LoadPlan, sessionCount: Int) throws(LoadPlanError) -> PreparedRun {
        let address: ClientAddress
        do throws(HTTPClientError) {
            address = try ClientSocket.resolve(host: plan.target.host, port: plan.target.port)
        } catch {
            throw LoadPlanError("target \(plan.target.host):\(plan.target.port): \(error.message)")
        }
        do throws(HTTPClientError) {
            try HTTPClient.probe(host: plan.target.host, port: plan.target.port, timeout: min(plan.requestTimeout, .seconds(5)))
        } catch {
            let reason = error.kind == .refused ? "connection refused (is the target running?)" : error.message
            throw LoadPlanError("target \(plan.target.host):\(plan.target.port) unreachable: \(reason)")
        }
        var values = plan.values
        for harvest in plan.harvests {
            values[harvest.valueName] = ValueList(try run(harvest, plan: plan), distribution: harvest.distribution)
        }
        var sessions: [SessionValues] = []
        if let session = plan.session {
            sessions = try createSessions(session, count: max(1, sessionCount), plan: plan, values: values)
        }
        return PreparedRun(address: address, catalog: try compile(plan, values: values, sessions: sessions))
    }

    static func compile(_ plan: LoadPlan, values: [String: ValueList],
                        sessions: [SessionValues]) throws(LoadPlanError) -> RequestCatalog {
        let names = values.keys.sorted()
        var listIndex: [String: Int] = [:]
        for (i, name) in names.enumerated() { listIndex[name] = i }
        let lists = names.map { name in
            let list = values[name]!
            return CompiledValueList(name: name, values: list.values.map(EncodedValue.init),
                                     sampler: IndexSampler(list.distribution, count: list.values.count))
        }
        let variables = plan.session?.extract.map(\.variable) ?? []
        var routes: [CompiledRoute] = []
        for route in plan.routes {
            routes.append(try CompiledRoute.compile(route, target: plan.target, listIndex: listIndex,
                                                    sessionVariables: variables))
        }
        return RequestCatalog(routes: routes, routeSampler: IndexSampler(weights: plan.routes.map(\.weight)),
                              lists: lists, sessions: sessions, run: EncodedValue(plan.runID))
    }

    static func request(_ bytes: [UInt8], plan: LoadPlan, what: String,
                                noBody: Bool = false) throws(LoadPlanError) -> HTTPResponse {
        do throws(HTTPClientError) {
            return try HTTPClient.exchange(bytes, to: plan.target.host, port: plan.target.port,
                                           timeout: plan.requestTimeout, expectingNoBody: noBody)
        } catch {
            let reason: String
            switch error.kind {
            case .refused: reason = "connection refused (is the target running?)"
            case .timeout: reason = "no answer within \(plan.requestTimeout)"
            default: reason = error.message
            }
            throw LoadPlanError("\(what): target \(plan.target.host):\(plan.target.port) unreachable: \(reason)")
        }
    }

    private static func run(_ harvest: HarvestPlan, plan: LoadPlan) throws(LoadPlanError) -> [String] {
        let what = "harvest \"\(harvest.valueName)\" (GET \(plan.target.url(harvest.path)))"
        var headers = HTTPHeaders(harvest.headers.map { ($0.name, $0.value) })
        headers.add(name: "Accept", value: "application/json")
        let get = HTTPRequest(method: "GET", target: plan.target.basePath + harvest.path, headers: headers)
        let bytes = HTTPClient.serialize(get, host: plan.target.host, port: plan.target.port)
        let response = try request(bytes, plan: plan, what: what)
        guard (200...299).contains(response.status) else {
            throw LoadPlanError("\(what): status \(response.status)")
        }
        let found = try ValueExtractor(harvest.extract).values(in: response.body)
        guard !found.isEmpty else {
            throw LoadPlanError("\(what): \"\(harvest.extract)\" found no values in the response")
        }
        return ranked(found, harvest.order)
    }

    /// The harvested values in the order a Zipf pick makes hot.
    static func ranked(_ values: [String], _ order: HarvestOrder) -> [String] {
        switch order {
        case .asListed:
            return values
        case .frequency:
            var count: [String: Int] = [:]
            var first: [String: Int] = [:]
            for (i, v) in values.enumerated() {
                count[v, default: 0] += 1
                if first[v] == nil { first[v] = i }
            }
            // Most frequent first; ties keep the response order.
            return first.keys.sorted { a, b in count[a]! != count[b]! ? count[a]! > count[b]! : first[a]! < first[b]! }
        }
    }

    /// Sends the setup request once per session (in parallel) and extracts the variables.
    static func createSessions(_ session: SessionPlan, count: Int, plan: LoadPlan,
                                       values: [String: ValueList]) throws(LoadPlanError) -> [SessionValues] {
        var setupPlan = plan
        setupPlan.routes = [session.setup]
        setupPlan.session = nil
        let catalog: RequestCatalog
        do throws(LoadPlanError) {
            catalog = try compile(setupPlan, values: values, sessions: [])
        } catch {
            throw LoadPlanError("session setup: \(error.description)")
        }
        let extractors = try session.extract.map { (e) throws(LoadPlanError) in (e.variable, try ValueExtractor(e.path)) }
        let results = Mutex<[Result<SessionValues, LoadPlanError>?]>(Array(repeating: nil, count: count))
        let workers = min(count, max(2, plan.threads * 2))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var renderer = RequestRenderer(catalog: catalog, seed: plan.seed, lane: worker, lanes: workers)
            var bytes: [UInt8] = []
            var vu = worker
            while vu < count {
                renderer.render(route: 0, vu: vu, session: 0, into: &bytes)
                let outcome: Result<SessionValues, LoadPlanError>
                do throws(LoadPlanError) {
                    let what = "session \(vu) setup (\(session.setup.method) \(plan.target.url(session.setup.path)))"
                    let response = try request(bytes, plan: plan, what: what,
                                               noBody: session.setup.method == "HEAD")
                    guard session.acceptedStatuses.contains(response.status) else {
                        let body = String(decoding: response.body.prefix(200), as: UTF8.self)
                        throw LoadPlanError("\(what): status \(response.status): \(body)")
                    }
                    var variables: [EncodedValue] = []
                    for (variable, extractor) in extractors {
                        guard let value = try extractor.values(in: response.body).first else {
                            throw LoadPlanError("\(what): \"\(extractor.path)\" for {{\(variable)}} found nothing")
                        }
                        variables.append(EncodedValue(value))
                    }
                    outcome = .success(SessionValues(variables: variables))
                } catch {
                    outcome = .failure(error)
                }
                results.withLock { $0[vu] = outcome }
                if case .failure = outcome { return }
                vu += workers
            }
        }
        let all = results.withLock { $0 }
        for case .failure(let error)? in all { throw error }
        var sessions: [SessionValues] = []
        for result in all {
            switch result {
            case .success(let s)?: sessions.append(s)
            case .failure(let e)?: throw e
            case nil: throw LoadPlanError("session setup stopped after an earlier failure")
            }
        }
        return sessions
    }
}
