import Foundation
import Testing
import TestSupport
@testable import Engine
@testable import Headless
@testable import LoadGenerator

/// The shipped Conduit profile against a third-party-like Conduit server (no /api prefix, 409 on repeats,
/// alphabetical tags, 20-character usernames), and what changes for an external target.
@Suite(.serialized) struct ExternalTargetTests {
    private func options(_ url: String, dir: String, configure: (inout RunOverrides) -> Void = { _ in }) throws -> Commands.RunOptions {
        var o = RunOverrides()
        o.target = try TargetSpec.parse(url)
        o.rate = 60
        o.connections = 8
        o.threads = 1
        o.durationSeconds = 2
        configure(&o)
        return Commands.RunOptions(profile: nil, overrides: o, reportDirectory: dir, quiet: true, fps: 10, noColor: true)
    }

    private func report(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func theDefaultProfileRunsAgainstAServerWithoutTheAPIPrefix() throws {
        let fake = try FakeConduitServer()
        defer { fake.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let code = Commands.run(try options("http://127.0.0.1:\(fake.port)", dir: dir.path) { $0.apiPrefix = "" })
        #expect(code == 0)
        let doc = try report(dir.path)
        let totals = try #require(doc["totals"] as? [String: Any])
        #expect(totals["unexpectedErrors"] as? Int == 0)
        #expect((totals["completed"] as? Int ?? 0) > 60)
        #expect(fake.conflicts == 0)
        // The preset of the default profile was dropped, not refused.
        #expect((doc["knobs"] as? [String: String])?.isEmpty == true)
    }

    @Test func aTargetURLEndingInTheAPIPrefixIsNeverDoubled() throws {
        let fake = try FakeConduitServer(prefix: "/api")
        defer { fake.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let code = Commands.run(try options("http://127.0.0.1:\(fake.port)/api", dir: dir.path))
        #expect(code == 0)
        let totals = try #require(try report(dir.path)["totals"] as? [String: Any])
        #expect(totals["unexpectedErrors"] as? Int == 0)
        let status = try #require(try report(dir.path)["status"] as? [String: Int])
        #expect(status["404"] == nil)
    }

    @Test func hotTagsAreTheOnesTheTargetShowsNotTheFirstListed() throws {
        let fake = try FakeConduitServer()
        defer { fake.stop() }
        var profile = try Commands.resolveProfile(try options("http://127.0.0.1:\(fake.port)", dir: "/tmp") { $0.apiPrefix = "" },
                                                  headless: true)
        profile.mix = Array(profile.mix.prefix(1))   // articles by tag
        let plan = try RunBuilder.loadPlan(for: profile, target: TargetAddress(host: "127.0.0.1", port: fake.port))
        let steps = Preflight.run(plan)
        let tag = try #require(steps.first { $0.kind == .harvest && $0.name == "tag" })
        #expect(tag.ok)
        // The alphabetically first tags are on no article: they must not be the hot ones.
        for empty in FakeConduitServer.tags.prefix(FakeConduitServer.emptyTags) { #expect(!tag.detail.contains(empty)) }
        #expect(tag.detail.contains("(first: iris"))
    }

    @Test func thePreflightExplainsAWrongPrefixInOneScreen() throws {
        let fake = try FakeConduitServer()
        defer { fake.stop() }
        let profile = try Commands.resolveProfile(try options("http://127.0.0.1:\(fake.port)", dir: "/tmp"), headless: true)
        let report = try Preflight.Report(profile: profile)
        #expect(!report.allOK && report.fatal)
        #expect(report.text.contains("GET http://127.0.0.1:\(fake.port)/api/articles?limit=500"))   // the URL sent
        #expect(report.text.contains("--api-prefix \"\""))
        #expect(report.text.split(separator: "\n").count < 24)
        #expect(Commands.check(try options("http://127.0.0.1:\(fake.port)", dir: "/tmp")) == 2)
        #expect(Commands.check(try options("http://127.0.0.1:\(fake.port)", dir: "/tmp") { $0.apiPrefix = "" }) == 0)
    }

    @Test func knobSettingsOfTheProfileAreDroppedButAskedOnesAreRefused() throws {
        var profile = Profile(name: "p", source: "p.json")
        profile.target = .url(host: "127.0.0.1", port: 1, basePath: "")
        profile.preset = .optimized
        profile.knobSchedule = [KnobStep(atSeconds: 1, preset: .naive, set: [:])]
        let note = try ExternalTarget.dropKnobSettings(&profile, overrides: RunOverrides())
        #expect(note?.contains("\"preset\", \"knobSchedule\" ignored") == true)
        #expect(profile.preset == nil && profile.knobSchedule.isEmpty)

        var asked = RunOverrides()
        asked.preset = .naive
        #expect(throws: ProfileError.self) { try ExternalTarget.dropKnobSettings(&profile, overrides: asked) }
        do { _ = try ExternalTarget.dropKnobSettings(&profile, overrides: asked) } catch {
            #expect(error.description.hasPrefix("--preset naive:"))
        }
    }

    @Test func theScraperReadsTheTargetsPrometheusMetrics() throws {
        let fake = try FakeConduitServer()
        defer { fake.stop() }
        _ = Preflight.get(TargetAddress(host: "127.0.0.1", port: fake.port), "/tags")
        let scraper = try MetricsScraper(url: "http://127.0.0.1:\(fake.port)/metrics", period: .seconds(1))
        scraper.scrapeOnce()
        let b = scraper.snapshot
        #expect(b.scrape?.error == nil)
        #expect(b.rssBytes == 25_000_000)
        #expect(b.routes.contains { $0.route == "GET /tags" && $0.requests == 1 && $0.latency.count == 1 })

        let down = try MetricsScraper(url: "http://127.0.0.1:\(FreePort.pick())/metrics", period: .seconds(1))
        down.scrapeOnce()
        #expect(down.snapshot.scrape?.error == "connection refused")
    }
}
