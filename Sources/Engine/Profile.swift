import Foundation
import Knobs

/// One experiment: what to load, how hard, with which knobs, for how long, and what counts as passing.
/// Read from `Profiles/*.json` (format in Profiles/README.md) or built from command-line flags.
public struct Profile: Sendable {
    public var name: String
    public var description: String = ""
    /// Where the profile came from (a file path, or "command line"), for error messages and reports.
    public var source: String
    public var target: TargetSpec = .embedded
    /// Options of the embedded demo backend (ignored for a URL target).
    public var backend = EmbeddedBackendSpec()
    public var load: LoadSpec = .closed(users: 16, thinkTimeSeconds: 0)
    /// Load worker threads (default: number of cores).
    public var threads: Int? = nil
    public var requestTimeoutSeconds: Double = 5
    /// Statistics of the warm-up are discarded.
    public var warmupSeconds: Double = 0
    /// Measured duration after warm-up; nil = until stopped (the console) or the open-model stages' total.
    public var durationSeconds: Double? = nil
    public var mix: [RouteSpec] = []
    /// What `{{api}}` in paths stands for; nil: "/api" (see `RequestPaths`).
    public var apiPrefix: String? = nil
    /// Whether mix requests send `Accept-Encoding: gzip` (a route's own `Accept-Encoding` header wins), like a
    /// browser; gzip bodies are inflated to count decoded bytes. Profile field `"gzip"`, CLI `--no-gzip`.
    public var acceptGzip = true
    /// An external target's Prometheus metrics URL (`--metrics`), scraped every tick; nil: none.
    public var metricsURL: String? = nil
    public var values: [String: ValueSpec] = [:]
    public var session: SessionSpec? = nil
    public var preset: KnobPreset? = nil
    public var knobs: [String: String] = [:]
    public var knobSchedule: [KnobStep] = []
    public var thresholds = Thresholds()

    public init(name: String, source: String) {
        self.name = name
        self.source = source
    }

    /// The total run time (warm-up + measured), nil when open-ended.
    public var totalSeconds: Double? {
        if let d = durationSeconds { return warmupSeconds + d }
        if case .open(let stages, _) = load {
            let sum = stages.reduce(0) { $0 + $1.durationSeconds }
            return sum > 0 ? sum : nil
        }
        return nil
    }
}

public enum TargetSpec: Sendable, Equatable {
    /// The demo backend, started in-process on a free port.
    case embedded
    /// Any HTTP/1.1 server.
    case url(host: String, port: Int, basePath: String)

    /// Parses "embedded" or an http:// URL.
    public static func parse(_ text: String) throws(TargetSpecError) -> TargetSpec {
        if text == "embedded" { return .embedded }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            throw TargetSpecError(message: "expected \"embedded\" or an http:// URL, got \"\(text)\"")
        }
        guard scheme == "http" else {
            throw TargetSpecError(message: "only http:// targets are supported (got \(scheme)://); TLS is not implemented")
        }
        guard let host = url.host, !host.isEmpty else { throw TargetSpecError(message: "URL \"\(text)\" has no host") }
        let port = url.port ?? 80
        var base = url.path
        if base.hasSuffix("/") { base.removeLast() }
        return .url(host: host, port: port, basePath: base)
    }

    public var description: String {
        switch self {
        case .embedded: return "embedded demo"
        case .url(let host, let port, let base): return "http://\(host):\(port)\(base)"
        }
    }
}

public struct TargetSpecError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

public struct EmbeddedBackendSpec: Sendable, Equatable {
    public var dataDirectory = ".dyno"
    public var seed: UInt64 = 42
    /// 1.0 = 100,000 articles; tests use small scales.
    public var scale: Double = 1.0
    public init() {}
}

public enum LoadSpec: Sendable, Equatable {
    /// Arrival-rate model: requests start on a schedule, whatever the responses do.
    case open(stages: [RateStage], connections: Int)
    /// N users, each waiting for its response (+ think time) before the next request.
    case closed(users: Int, thinkTimeSeconds: Double)
}

/// One piece of an open-model schedule; stages run one after another.
public enum RateStage: Sendable, Equatable {
    case constant(rate: Double, durationSeconds: Double)
    case ramp(from: Double, to: Double, durationSeconds: Double)
    /// From `from` to `to` in increments of `by`, each held for `everySeconds`.
    case steps(from: Double, to: Double, by: Double, everySeconds: Double)
    /// `rate` throughout, `peak` for `spikeSeconds` starting at `atSeconds` into the stage.
    case spike(rate: Double, peak: Double, atSeconds: Double, spikeSeconds: Double, durationSeconds: Double)

    public var durationSeconds: Double {
        switch self {
        case .constant(_, let d), .ramp(_, _, let d), .spike(_, _, _, _, let d): return d
        case .steps(let from, let to, let by, let every):
            return (floor((to - from) / by) + 1) * every
        }
    }

    /// The intended arrival rate `t` seconds into this stage.
    public func rate(at t: Double) -> Double {
        switch self {
        case .constant(let r, _): return r
        case .ramp(let from, let to, let d): return d <= 0 ? to : from + (to - from) * min(max(t / d, 0), 1)
        case .steps(let from, let to, let by, let every): return min(from + by * floor(t / every), to)
        case .spike(let r, let peak, let at, let len, _): return (t >= at && t < at + len) ? peak : r
        }
    }
}

public struct RouteSpec: Sendable, Equatable {
    public var name: String
    public var weight: Double = 1
    public var method: String = "GET"
    /// Path and query with `{{name}}` placeholders, e.g. "/api/articles?tag={{tag}}&limit=20".
    public var path: String
    public var headers: [String: String] = [:]
    public var body: String? = nil
    /// Uses the per-user session (its variables, e.g. `{{token}}`, appear in headers/path/body).
    public var usesSession: Bool = false
    /// Error statuses a correct server may answer (e.g. 409 on a repeated write): not counted as unexpected.
    public var expect: [Int] = []
    /// The method that undoes this route ("DELETE" for a favorite or a follow): each user alternates per value.
    public var undo: String? = nil

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

public enum PickDistribution: Sendable, Equatable {
    case uniform
    /// Zipf with exponent s: value i (0-based, in list order) is picked with weight 1/(i+1)^s. Hot values first.
    case zipf(Double)
}

public struct ValueSpec: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case list([String])
        /// GET `path` on the target before the run and take the values at `extract`, e.g. "articles[].slug";
        /// `byFrequency`: most frequent first, each once (else in response order).
        case harvest(path: String, extract: String, byFrequency: Bool = false)
        /// Integers in a closed range.
        case range(Int, Int)
    }
    public var source: Source
    public var pick: PickDistribution = .uniform
}

/// Each virtual user (or, in the open model, each connection's user) runs `setup` once and keeps what `extract`
/// names from its JSON response, for later requests.
public struct SessionSpec: Sendable, Equatable {
    public var method: String = "POST"
    public var path: String
    public var headers: [String: String] = ["Content-Type": "application/json"]
    public var body: String?
    /// Variable name → JSON path in the setup response (e.g. "token" → "user.token").
    public var extract: [String: String]
}

public struct KnobStep: Sendable, Equatable {
    public var atSeconds: Double
    public var preset: KnobPreset?
    public var set: [String: String]
}

/// Pass/fail limits over the measured part of a run (nil = not checked).
public struct Thresholds: Sendable, Equatable {
    public var p50Seconds: Double? = nil
    public var p95Seconds: Double? = nil
    public var p99Seconds: Double? = nil
    public var maxSeconds: Double? = nil
    /// Fraction 0...1.
    public var maxErrorRate: Double? = nil
    /// Achieved completions per second over the measured duration.
    public var minRate: Double? = nil
    public init() {}
    public var isEmpty: Bool { self == Thresholds() }
}
