import Foundation
import Knobs

/// Command-line settings that override (or, without a profile, make up) a profile.
public struct RunOverrides: Sendable, Equatable {
    public var target: TargetSpec? = nil
    /// GET these paths (like wrk/oha) instead of the profile's mix.
    public var paths: [String] = []
    public var rate: Double? = nil
    public var users: Int? = nil
    public var durationSeconds: Double? = nil
    public var warmupSeconds: Double? = nil
    public var preset: KnobPreset? = nil
    public var knobs: [String: String] = [:]
    public var dataDirectory: String? = nil
    public var scale: Double? = nil
    public var threads: Int? = nil
    public var connections: Int? = nil
    public var timeoutSeconds: Double? = nil
    /// `--api-prefix`: what `{{api}}` stands for.
    public var apiPrefix: String? = nil
    /// `--metrics`: a Prometheus text endpoint of an external target, scraped every tick.
    public var metricsURL: String? = nil
    /// `--no-gzip`: false.
    public var acceptGzip: Bool? = nil
    public init() {}

    /// The profile with these overrides applied.
    public func apply(to base: Profile) -> Profile {
        var p = base
        if let target { p.target = target }
        if !paths.isEmpty {
            p.mix = paths.map { RouteSpec(name: "GET \($0)", path: $0) }
            p.values = [:]
            p.session = nil
        }
        let connections = self.connections ?? {
            if case .open(_, let c) = p.load { return c }
            return 64
        }()
        if let rate {
            p.load = .open(stages: [.constant(rate: rate, durationSeconds: durationSeconds ?? 0)], connections: connections)
        } else if let users {
            var think = 0.0
            if case .closed(_, let t) = p.load { think = t }
            p.load = .closed(users: users, thinkTimeSeconds: think)
        } else if self.connections != nil, case .open(let stages, _) = p.load {
            p.load = .open(stages: stages, connections: connections)
        }
        if let durationSeconds { p.durationSeconds = durationSeconds }
        if let warmupSeconds { p.warmupSeconds = warmupSeconds }
        if let preset { p.preset = preset }
        for (k, v) in knobs { p.knobs[k] = v }
        if let dataDirectory { p.backend.dataDirectory = dataDirectory }
        if let scale { p.backend.scale = scale }
        if let threads { p.threads = threads }
        if let timeoutSeconds { p.requestTimeoutSeconds = timeoutSeconds }
        if let apiPrefix { p.apiPrefix = apiPrefix }
        if let metricsURL { p.metricsURL = metricsURL }
        if let acceptGzip { p.acceptGzip = acceptGzip }
        return p
    }
}

/// Finds the project's resources (Profiles/, Assets/) whether dyno runs from the checkout (`swift run`), from
/// `.build/<config>/dyno`, or from elsewhere with `DYNO_HOME` set.
public enum ResourceLocator {
    /// The first directory containing `Profiles/` among: $DYNO_HOME, the working directory and its parents,
    /// the executable's directory and its parents.
    public static func projectRoot() -> String? {
        let fm = FileManager.default
        var candidates: [String] = []
        if let home = ProcessInfo.processInfo.environment["DYNO_HOME"] { candidates.append(home) }
        candidates.append(contentsOf: ancestors(of: fm.currentDirectoryPath))
        if let exe = Bundle.main.executablePath {
            candidates.append(contentsOf: ancestors(of: (exe as NSString).deletingLastPathComponent))
        }
        return candidates.first { fm.fileExists(atPath: ($0 as NSString).appendingPathComponent("Profiles")) }
    }

    static func ancestors(of path: String) -> [String] {
        var out: [String] = []
        var p = (path as NSString).standardizingPath
        for _ in 0..<6 {
            out.append(p)
            let parent = (p as NSString).deletingLastPathComponent
            if parent == p || parent.isEmpty { break }
            p = parent
        }
        return out
    }

    /// Resolves a profile argument: an existing file path, or a name in Profiles/ ("steady" → Profiles/steady.json).
    public static func profilePath(_ argument: String) -> String? {
        let fm = FileManager.default
        if fm.fileExists(atPath: argument) { return argument }
        guard let root = projectRoot() else { return nil }
        let name = argument.hasSuffix(".json") ? argument : argument + ".json"
        let candidate = ((root as NSString).appendingPathComponent("Profiles") as NSString).appendingPathComponent(name)
        return fm.fileExists(atPath: candidate) ? candidate : nil
    }

    /// Names of the shipped profiles.
    public static func profileNames() -> [String] {
        guard let root = projectRoot(),
              let files = try? FileManager.default.contentsOfDirectory(atPath: (root as NSString).appendingPathComponent("Profiles"))
        else { return [] }
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }
}
