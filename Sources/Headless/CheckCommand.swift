import Engine
import Foundation
import LoadGenerator

/// `dyno check --target URL` and the pre-flight of `dyno run` against a URL target: one request per harvest, the
/// session setup and one request per route, each with its status and a short reason, then a verdict and, when the
/// URL looks wrong, what to try instead.
extension Commands {
    public static func check(_ o: RunOptions) -> Int32 {
        let profile: Profile
        do { profile = try resolveProfile(o, headless: true) } catch {
            writeError("dyno check: \(error)")
            return 2
        }
        guard case .url = profile.target else {
            writeError("dyno check: needs an external target: dyno check [PROFILE] --target http://host:port[/api]")
            return 2
        }
        let report: Preflight.Report
        do { report = try Preflight.Report(profile: profile) } catch {
            writeError("dyno check: \(error)")
            return 2
        }
        print(report.text, terminator: "")
        return report.allOK ? 0 : 2
    }

    /// The pre-flight of a run against a URL target: prints the check (only its failures when `quiet`) and returns
    /// false when the run cannot be meaningful (target unreachable, a harvest or the session failed, every route 404).
    public static func preflight(_ profile: Profile, quiet: Bool) -> Bool {
        guard case .url = profile.target else { return true }
        let report: Preflight.Report
        do { report = try Preflight.Report(profile: profile) } catch {
            writeError("dyno: \(error)")
            return false
        }
        if !quiet || !report.allOK { writeError(report.text) }
        if report.fatal { writeError("dyno: the pre-flight check failed; nothing was run (details above; `dyno check` repeats it)") }
        return !report.fatal
    }
}

extension Preflight {
    /// A finished check with its printable text.
    struct Report {
        let steps: [PreflightStep]
        let text: String

        var allOK: Bool { steps.allSatisfy(\.ok) }
        /// Nothing meaningful can be measured: no target, no values, no session, or every route not found.
        var fatal: Bool { Self.isFatal(steps) }

        init(profile: Profile) throws {
            guard case .url(let host, let port, let urlPath) = profile.target else {
                throw ProfileError(file: profile.source, field: "target", message: "the pre-flight check needs a URL target")
            }
            let plan = try RunBuilder.loadPlan(for: profile, target: TargetAddress(host: host, port: port, basePath: urlPath))
            steps = Preflight.run(plan)
            let paths = RequestPaths(urlPath: urlPath, apiPrefix: profile.apiPrefix)
            var out = "dyno check: \(profile.target.description) · profile \(profile.name) · {{api}} = \""
                + paths.api + "\" (requests go to \(plan.target.url(paths.base + paths.api))/…)\n"
            for step in steps {
                let mark = step.ok ? "  ok  " : "  FAIL"
                let status = step.status.map(String.init) ?? "---"
                let what = step.kind == .route ? step.name : "\(step.kind.rawValue) \(step.name)"
                out += "\(mark) \(status) \(step.method) \(step.url)  [\(what)] \(step.detail)\n"
            }
            let failed = steps.filter { !$0.ok }.count
            if failed == 0 {
                out += "result: all \(steps.count) requests answered as expected: this target speaks the profile's API\n"
            } else {
                out += "result: \(failed) of \(steps.count) requests failed: "
                    + (Self.isFatal(steps) ? "this target does not answer like the profile's API at this URL\n"
                                           : "the run would count these as unexpected errors\n")
                out += Self.hints(steps, profile: profile, host: host, port: port, paths: paths)
            }
            text = out
        }

        static func isFatal(_ steps: [PreflightStep]) -> Bool {
            steps.contains { !$0.ok && $0.kind != .route }
                || steps.filter { $0.kind == .route }.allSatisfy { $0.status == 404 }
        }

        /// What to try when requests were not found or the target did not answer.
        static func hints(_ steps: [PreflightStep], profile: Profile, host: String, port: Int, paths: RequestPaths) -> String {
            if steps.first?.kind == .reach {
                return "hint: nothing answers at \(host):\(port); start the server or correct --target\n"
            }
            guard steps.contains(where: { $0.status == 404 }) else { return "" }
            let root = TargetAddress(host: host, port: port)
            // Where does a Conduit tag list answer? Try the prefix the user gave, without it, and with /api.
            let candidates = [paths.base + paths.api, paths.base, paths.base + "/api", paths.urlPath + "/api", ""]
            var tried: Set<String> = []
            for prefix in candidates where tried.insert(prefix).inserted {
                guard prefix != paths.base + paths.api,
                      let response = Preflight.get(root, prefix + "/tags"), response.status == 200,
                      String(decoding: response.body.prefix(4096), as: UTF8.self).contains("\"tags\"") else { continue }
                let url = "http://\(root.host):\(root.port)\(prefix)"
                // A URL ending in /api holds the prefix; any other needs {{api}} emptied.
                let flags = prefix.hasSuffix("/api") ? "--target \(url)" : "--target \(url) --api-prefix \"\""
                return "hint: the API answers at \(url) (GET \(url)/tags → 200): use \(flags)\n"
            }
            return "hint: GET …/tags is not found with or without /api under \(profile.target.description): "
                + "is this a RealWorld (Conduit) server? Its paths are documented at https://realworld-docs.netlify.app\n"
        }
    }
}
