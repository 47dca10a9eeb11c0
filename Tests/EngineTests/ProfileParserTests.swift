import Foundation
import Knobs
import Testing
@testable import Engine

private func parse(_ json: String, knobs: KnobRegistry? = nil) throws(ProfileError) -> Profile {
    try ProfileParser.parse(data: Data(json.utf8), source: "test.json", defaultName: "test", knobs: knobs)
}

private func error(_ json: String, knobs: KnobRegistry? = nil) -> ProfileError? {
    do { _ = try parse(json, knobs: knobs); return nil } catch { return error }
}

private let registry = KnobRegistry([
    KnobDefinition(id: "cache", kind: .choice(["off", "on"]), defaultValue: "off", naiveValue: "off",
                   optimizedValue: "on", key: "c", summary: "cache"),
    KnobDefinition(id: "pool_size", kind: .integer(1...64), defaultValue: "8", naiveValue: "1",
                   optimizedValue: "8", key: nil, summary: "pool size"),
], clock: { 0 })

@Suite struct ProfileParserTests {
    @Test func readsEveryFieldOfAFullProfile() throws {
        let p = try parse("""
        {"name": "x", "target": "http://127.0.0.1:9000/base/", "warmup": "2s", "duration": 30, "timeout": "250ms",
         "load": {"model": "open", "connections": 8, "stages": [
            {"type": "constant", "rate": 100, "duration": "10s"},
            {"type": "ramp", "from": 100, "to": 300, "duration": "1m"},
            {"type": "steps", "from": 100, "to": 300, "by": 100, "every": "5s"},
            {"type": "spike", "rate": 50, "peak": 500, "at": "3s", "spikeDuration": "2s", "duration": "10s"}]},
         "values": {"tag": {"list": ["a", "b", 3], "pick": {"zipf": 1.5}}, "n": {"range": [1, 9]},
                    "slug": {"harvest": {"path": "/api/articles", "extract": "articles[].slug"}, "pick": "zipf"}},
         "mix": [{"name": "by tag", "weight": 3, "path": "/t?tag={{tag}}&n={{n}}&s={{slug}}"},
                 {"method": "post", "path": "/p", "body": {"a": "{{seq}}"}}],
         "preset": "optimized", "knobs": {"cache": "on"},
         "knobSchedule": [{"at": "20s", "preset": "naive"}, {"at": "10s", "set": {"pool_size": 4}}],
         "thresholds": {"p99": "200ms", "errorRate": 0.01, "minRate": 50}}
        """, knobs: registry)
        #expect(p.name == "x")
        #expect(p.target == .url(host: "127.0.0.1", port: 9000, basePath: "/base"))
        #expect(p.warmupSeconds == 2 && p.durationSeconds == 30 && p.requestTimeoutSeconds == 0.25)
        guard case .open(let stages, let connections) = p.load else { Issue.record("expected open"); return }
        #expect(connections == 8)
        #expect(stages == [.constant(rate: 100, durationSeconds: 10), .ramp(from: 100, to: 300, durationSeconds: 60),
                           .steps(from: 100, to: 300, by: 100, everySeconds: 5),
                           .spike(rate: 50, peak: 500, atSeconds: 3, spikeSeconds: 2, durationSeconds: 10)])
        #expect(p.values["tag"] == ValueSpec(source: .list(["a", "b", "3"]), pick: .zipf(1.5)))
        #expect(p.values["n"]?.source == .range(1, 9))
        #expect(p.values["slug"]?.pick == .zipf(1.0))
        #expect(p.mix.count == 2 && p.mix[0].weight == 3 && p.mix[1].method == "POST")
        #expect(p.mix[1].name == "POST /p" && p.mix[1].body == #"{"a":"{{seq}}"}"#)
        #expect(p.preset == .optimized && p.knobs == ["cache": "on"])
        #expect(p.knobSchedule.map(\.atSeconds) == [10, 20])   // sorted by time
        #expect(p.knobSchedule[0].set == ["pool_size": "4"])
        #expect(p.thresholds.p99Seconds == 0.2 && p.thresholds.maxErrorRate == 0.01 && p.thresholds.minRate == 50)
        #expect(p.totalSeconds == 32)
    }

    @Test func errorsNameTheFieldAndWhatWasExpected() {
        let cases: [(String, String, String)] = [
            (#"{"mix": [{"path": "/"}], "load": {"model": "open", "stages": [{"type": "constant", "rate": "fast", "duration": "1s"}]}}"#,
             "load.stages[0].rate", "expected a number, got a string (\"fast\")"),
            (#"{"mix": [{"path": "/"}], "warmup": "soon"}"#, "warmup", "expected a duration like \"500ms\", \"10s\" or \"2m\", got \"soon\""),
            (#"{"mix": [{"path": "/"}], "lod": {}}"#, "lod", "unknown field"),
            (#"{"mix": [{"path": "nope"}]}"#, "mix[0].path", "expected a path starting with \"/\""),
            (#"{"mix": [{"path": "/a/{{slug}}"}]}"#, "mix[0]", "uses {{slug}} but no value list"),
            (#"{"mix": []}"#, "mix", "expected at least one route"),
            (#"{"mix": [{"path": "/"}], "load": {"model": "closed"}}"#, "load", "a closed model needs \"users\""),
            (#"{"mix": [{"path": "/"}], "load": {"users": 0}}"#, "load.users", "expected a whole number ≥ 1, got 0"),
            (#"{"mix": [{"path": "/"}], "target": "https://example.com"}"#, "target", "only http:// targets are supported"),
            (#"{"mix": [{"path": "/"}], "knobs": {"cach": "on"}}"#, "knobs.cach", "unknown knob"),
            (#"{"mix": [{"path": "/"}], "knobs": {"cache": "maybe"}}"#, "knobs.cache", "value \"maybe\" not allowed (expected off|on)"),
            (#"{"mix": [{"path": "/"}], "knobSchedule": [{"at": "1s", "set": {"pool_size": 99}}]}"#,
             "knobSchedule[0].set.pool_size", "expected 1..64"),
            (#"{"mix": [{"path": "/"}], "load": {"model": "open", "stages": [{"type": "wave"}]}}"#, "load.stages[0].type", "got \"wave\""),
        ]
        for (json, field, message) in cases {
            let e = error(json, knobs: registry)
            #expect(e?.file == "test.json", "\(json)")
            #expect(e?.field == field, "\(json): field \(e?.field ?? "nil")")
            #expect(e?.message.contains(message) == true, "\(json): message \(e?.message ?? "nil")")
        }
    }

    @Test func invalidJSONIsReportedWithTheFileName() {
        let e = error("{ not json")
        #expect(e?.file == "test.json")
        #expect(e?.field == "")
        #expect(e?.description.hasPrefix("test.json: not valid JSON") == true)
    }

    @Test func shippedProfilesAllParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("Profiles")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 5)
        for f in files {
            let p = try ProfileParser.load(path: dir.appendingPathComponent(f).path)
            #expect(!p.mix.isEmpty, "\(f)")
        }
    }

    @Test func overridesReplaceTheMixAndTheModel() throws {
        var o = RunOverrides()
        o.paths = ["/a", "/b"]
        o.rate = 250
        o.durationSeconds = 5
        o.target = .url(host: "h", port: 1, basePath: "")
        let p = o.apply(to: try parse(#"{"mix": [{"path": "/x/{{v}}"}], "values": {"v": {"list": ["1"]}}}"#))
        #expect(p.mix.map(\.path) == ["/a", "/b"])
        #expect(p.values.isEmpty)
        #expect(p.load == .open(stages: [.constant(rate: 250, durationSeconds: 5)], connections: 64))
        #expect(p.totalSeconds == 5)
    }
}

@Suite struct RateStageTests {
    @Test func ratesFollowTheShapeOfEachStage() {
        #expect(RateStage.ramp(from: 100, to: 300, durationSeconds: 10).rate(at: 5) == 200)
        let steps = RateStage.steps(from: 100, to: 300, by: 100, everySeconds: 5)
        #expect(steps.durationSeconds == 15)
        #expect([0.0, 4.9, 5, 10, 14.9].map(steps.rate(at:)) == [100, 100, 200, 300, 300])
        let spike = RateStage.spike(rate: 10, peak: 90, atSeconds: 3, spikeSeconds: 2, durationSeconds: 10)
        #expect([2.9, 3, 4.9, 5].map(spike.rate(at:)) == [10, 90, 90, 10])
        #expect(RunSession.scheduledRate([.constant(rate: 5, durationSeconds: 1), .constant(rate: 7, durationSeconds: 1)], at: 1.5) == 7)
    }

    @Test func durationsParseHumanUnits() {
        #expect(parseDurationSeconds("250ms") == 0.25)
        #expect(parseDurationSeconds("2m") == 120)
        #expect(parseDurationSeconds("1.5s") == 1.5)
        #expect(parseDurationSeconds("3") == 3)
        #expect(parseDurationSeconds("-1s") == nil)
        #expect(parseDurationSeconds("soon") == nil)
    }
}
