import Foundation
import HTTP
import Testing
import TestSupport
@testable import Engine
@testable import Headless

/// End-to-end through `dyno run`'s implementation against a tiny in-test HTTP server: exit codes, report.json.
@Suite(.serialized) struct RunCommandTests {
    /// A server answering every request with a small JSON body (and 500 for /fail).
    private func startServer() throws -> HTTPServer {
        var config = HTTPServerConfiguration()
        config.threads = 1
        let server = HTTPServer(configuration: config) { request, responder in
            let status = request.path == "/fail" ? 500 : 200
            responder.respond(HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]),
                                           body: Array(#"{"ok":true}"#.utf8)))
        }
        _ = try server.start()
        return server
    }

    private func options(_ port: Int, paths: [String], dir: String, profile: String? = nil,
                         configure: (inout RunOverrides) -> Void = { _ in }) -> Commands.RunOptions {
        var o = RunOverrides()
        o.target = .url(host: "127.0.0.1", port: port, basePath: "")
        o.paths = paths
        o.users = 4
        o.durationSeconds = 0.5
        configure(&o)
        return Commands.RunOptions(profile: profile, overrides: o, reportDirectory: dir, quiet: true, fps: 10, noColor: true)
    }

    @Test func aPassingRunExitsZeroAndWritesAVersionedReport() throws {
        let server = try startServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let code = Commands.run(options(server.port, paths: ["/a", "/b"], dir: dir.path))
        #expect(code == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/report.json"))
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(doc["schema"] as? String == "dyno.report")
        #expect(doc["schemaVersion"] as? Int == ReportJSON.schemaVersion)
        let totals = try #require(doc["totals"] as? [String: Any])
        let completed = try #require(totals["completed"] as? Int)
        #expect(completed > 0)
        let routes = try #require(doc["routes"] as? [[String: Any]])
        #expect(routes.map { $0["name"] as? String } == ["GET /a", "GET /b"])
        #expect(routes.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == completed)
        #expect((doc["status"] as? [String: Int])?["200"] == completed)
        #expect(doc["passed"] as? Bool == true)
    }

    @Test func aMissedThresholdExitsOneAndSaysWhich() throws {
        let server = try startServer()
        defer { server.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let profilePath = dir.path + "/strict.json"
        try #"{"mix": [{"path": "/fail"}], "load": {"users": 2}, "duration": "0.5s", "thresholds": {"errorRate": 0.01}}"#
            .write(toFile: profilePath, atomically: true, encoding: .utf8)
        var o = options(server.port, paths: [], dir: dir.path, profile: profilePath)
        o.overrides.users = nil
        o.overrides.durationSeconds = nil
        #expect(Commands.run(o) == 1)
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/report.json"))) as? [String: Any]
        let thresholds = doc?["thresholds"] as? [[String: Any]]
        #expect(thresholds?.first?["name"] as? String == "errorRate")
        #expect(thresholds?.first?["passed"] as? Bool == false)
    }

    @Test func badInputExitsTwo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bad = dir.path + "/bad.json"
        try #"{"mix": [{"path": "/"}], "load": {"users": "many"}}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        var o = options(1, paths: [], dir: dir.path, profile: bad)
        o.overrides.users = nil
        #expect(Commands.run(o) == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/report.json"))
    }

    @Test func anUnreachableTargetIsAClearErrorNotAHang() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let port = FreePort.pick()   // nothing listens there
        #expect(Commands.run(options(port, paths: ["/"], dir: dir.path)) == 2)
    }
}
