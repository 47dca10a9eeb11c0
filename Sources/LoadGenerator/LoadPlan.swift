import HTTP
// Everything the load generator needs to run, as plain values (the Engine builds it from a profile).

/// Where the load goes: an HTTP/1.1 server (plain http only).
public struct TargetAddress: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Prefix added to every request path (from the URL's path, without a trailing slash), e.g. "/v1"; "" for none.
    public var basePath: String

    public init(host: String, port: Int, basePath: String = "") {
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses `http://host[:port][/base]`. Throws for other schemes (https is not supported), a missing host or
    /// a bad port, naming the URL.
    public init(url: String) throws(LoadPlanError) {
        guard url.hasPrefix("http://") else {
            if url.hasPrefix("https://") {
                throw LoadPlanError("target \"\(url)\": https is not supported (use plain http, e.g. behind a local proxy)")
            }
            throw LoadPlanError("target \"\(url)\": expected a URL like http://127.0.0.1:8080/")
        }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        var host = String(authority)
        var port = 80
        if authority.hasPrefix("[") {            // [::1]:8080
            guard let close = authority.firstIndex(of: "]") else { throw LoadPlanError("target \"\(url)\": bad IPv6 host") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { throw LoadPlanError("target \"\(url)\": bad port") }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else {
                throw LoadPlanError("target \"\(url)\": bad port \"\(authority[authority.index(after: colon)...])\"")
            }
            port = p
        }
        guard !host.isEmpty else { throw LoadPlanError("target \"\(url)\": missing host") }
        guard (1...65535).contains(port) else { throw LoadPlanError("target \"\(url)\": port \(port) out of range") }
        self.init(host: host, port: port, basePath: path)
    }

    /// The full URL requested for `path` (the base path in front), for messages: "http://127.0.0.1:8080/api/tags".
    public func url(_ path: String) -> String {
        "http://\(HTTPClient.hostHeader(host: host, port: port))\(basePath)\(path)"
    }
}

/// How load is offered.
public enum LoadModelPlan: Sendable {
    /// Open model: requests arrive on `schedule` whatever the responses do.
    case open(ArrivalSchedule)
    /// Closed model: `users` virtual users, each sending its next request `thinkTime` after the previous response.
    case closed(users: Int, thinkTime: Duration)
}

/// One entry of the weighted request mix.
///
/// `path`, header values and `body` are templates: `{{name}}` takes a value from the value list `name`
/// (percent-encoded in the path, JSON-escaped in the body, raw in headers); `{{seq}}` a number unique to the
/// request; `{{random(1,1000)}}` a uniform integer in the inclusive range; `{{vu}}` the virtual user (or session)
/// number; `{{run}}` the run identifier; any other name declared by the session's `extract` a session variable.
public struct RoutePlan: Sendable {
    /// Name for per-route statistics, e.g. "list articles".
    public var name: String
    /// Relative weight in the mix (> 0).
    public var weight: Double
    public var method: String
    /// Request-target template, e.g. "/api/articles/{{slug}}".
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: String?
    /// Error statuses (≥ 400) this route may answer on a correct server, e.g. 409 for a repeated write: counted
    /// as errors but not as unexpected ones.
    public var expect: [Int]
    /// A method that undoes this route (e.g. "DELETE" for a favorite): each user alternates per value, doing it
    /// the first time it picks a value and undoing it the next, so it never repeats what it already did.
    public var undoMethod: String?

    public init(name: String, weight: Double = 1, method: String = "GET", path: String,
                headers: [(name: String, value: String)] = [], body: String? = nil, expect: [Int] = [],
                undoMethod: String? = nil) {
        self.name = name; self.weight = weight; self.method = method; self.path = path
        self.headers = headers; self.body = body; self.expect = expect; self.undoMethod = undoMethod
    }
}

/// How values are picked from a list.
public enum ValueDistribution: Sendable, Equatable {
    /// Every value equally likely.
    case uniform
    /// Zipf with exponent `s` (> 0): the value of rank k (1-based, list order) has weight 1/k^s; a few are hot.
    case zipf(s: Double)
}

/// Values a template slot draws from.
public struct ValueList: Sendable {
    public var values: [String]
    public var distribution: ValueDistribution
    public init(_ values: [String], distribution: ValueDistribution = .uniform) {
        self.values = values
        self.distribution = distribution
    }
}

/// Fills a value list before the run by GETting a JSON endpoint of the target.
public struct HarvestPlan: Sendable {
    /// The value list to fill (replaces any values it had).
    public var valueName: String
    /// Request target, e.g. "/api/articles?limit=100".
    public var path: String
    /// Extraction path, e.g. "tags[]", "articles[].slug", "articles[].author.username" (see `ValueExtractor`).
    public var extract: String
    public var distribution: ValueDistribution
    public var headers: [(name: String, value: String)]
    /// The order of the harvested values (what a Zipf pick makes hot).
    public var order: HarvestOrder

    public init(valueName: String, path: String, extract: String, distribution: ValueDistribution = .uniform,
                headers: [(name: String, value: String)] = [], order: HarvestOrder = .asListed) {
        self.valueName = valueName; self.path = path; self.extract = extract
        self.distribution = distribution; self.headers = headers; self.order = order
    }
}

/// How harvested values are ranked.
public enum HarvestOrder: String, Sendable, Equatable {
    /// In response order, as the target lists them.
    case asListed = "listed"
    /// Most frequent in the response first, each value once (e.g. tags counted over harvested articles: the
    /// hot tags are those the target really shows, whatever order its tag list has).
    case frequency
}

/// A per-virtual-user setup request whose response fields become session variables.
///
/// Example: POST /api/users with body `{"user":{"username":"u{{vu}}_{{run}}","email":"u{{vu}}_{{run}}@x.io",
/// "password":"secret"}}` and `extract: [("token", "user.token")]`; routes then send
/// `Authorization: Token {{token}}`. Closed model: one session per user; open model: one per connection.
public struct SessionPlan: Sendable {
    /// The setup request (its `name` and `weight` are ignored; its templates may use `{{vu}}` and `{{run}}`).
    public var setup: RoutePlan
    /// Variable name → extraction path into the setup response's JSON; the first value found is used.
    public var extract: [(variable: String, path: String)]
    /// Statuses accepted from the setup request (default 200...299).
    public var acceptedStatuses: ClosedRange<Int>

    public init(setup: RoutePlan, extract: [(variable: String, path: String)],
                acceptedStatuses: ClosedRange<Int> = 200...299) {
        self.setup = setup; self.extract = extract; self.acceptedStatuses = acceptedStatuses
    }
}

/// Everything needed to run a load: validated by `LoadGenerator.init`.
public struct LoadPlan: Sendable {
    public var target: TargetAddress
    public var model: LoadModelPlan
    public var routes: [RoutePlan]
    /// Value lists by name (harvested ones are filled by `prepare()`).
    public var values: [String: ValueList]
    public var harvests: [HarvestPlan]
    public var session: SessionPlan?
    /// Open model: most concurrent connections (spread over the threads). Default 64.
    /// Closed model: ignored (one connection per user).
    public var connections: Int
    /// Worker threads, each one epoll loop. Default: the number of online CPUs.
    public var threads: Int
    /// A request (connect included) that takes longer fails as `timeout`. Default 10 s.
    public var requestTimeout: Duration
    /// Seed of the per-worker random generators (mix, values): same seed, same request sequence per worker.
    public var seed: UInt64
    /// Identifier substituted for `{{run}}` (e.g. to make registered user names unique per run).
    public var runID: String

    public init(target: TargetAddress, model: LoadModelPlan, routes: [RoutePlan], values: [String: ValueList] = [:],
                harvests: [HarvestPlan] = [], session: SessionPlan? = nil, connections: Int = 64,
                threads: Int = LoadPlan.defaultThreads, requestTimeout: Duration = .seconds(10), seed: UInt64 = 1,
                runID: String = LoadPlan.makeRunID()) {
        self.target = target; self.model = model; self.routes = routes; self.values = values
        self.harvests = harvests; self.session = session; self.connections = connections; self.threads = threads
        self.requestTimeout = requestTimeout; self.seed = seed; self.runID = runID
    }

    /// Number of online CPUs (at least 1).
    public static var defaultThreads: Int {
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(1, n)
    }

    /// A short identifier from the clock, e.g. "k3x9q2" (unique enough across runs of one user).
    public static func makeRunID() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let n = UInt64(ts.tv_sec) &* 1_000_000 &+ UInt64(ts.tv_nsec / 1000)
        return String(n % 2_176_782_336, radix: 36)   // 36^6: six characters
    }
}

/// A plan that cannot run, with a message naming the field and value.
public struct LoadPlanError: Error, Sendable, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

#if canImport(Glibc)
import Glibc
#endif
