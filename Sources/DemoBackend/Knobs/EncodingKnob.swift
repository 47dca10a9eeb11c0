import Knobs
import Metrics

/// `encoding`: how response bodies are written and request bodies read.
/// - foundation (naive): `Codable` models through a fresh `JSONEncoder` into `Data`, copied into the response;
///   `JSONDecoder` for request bodies (`FoundationEncoding`);
/// - direct (optimized): `JSONWriter` straight into the response buffer; the hand-written `JSONParser`.
/// Read per request by `ConduitAPI` (one atomic load). Both give the same JSON values (tests compare them).
struct EncodingKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "encoding", kind: .choice(["foundation", "direct"]), defaultValue: "direct",
                       naiveValue: "foundation", optimizedValue: "direct", key: "e",
                       summary: "JSON: Codable + JSONEncoder/JSONDecoder (foundation) or written straight into the buffer (direct)"),
    ]

    let knob: Knob?
    let metrics: BackendMetrics
    let memo: RenderedResponseMemo

    init(parts: BackendParts) {
        knob = parts.knobs["encoding"]
        metrics = parts.metrics
        memo = parts.memo
    }

    /// Renderings memoized under the other encoding are not served under this one.
    func apply(_ changes: [KnobChange]) {
        if changes.contains(where: { $0.id == "encoding" }) { memo.dataChanged() }
    }

    func probe(into snapshot: inout BackendSnapshot) { snapshot.encoding = probe() }

    func probe() -> EncodingProbe {
        var p = EncodingProbe()
        p.mode = knob.flatMap { PayloadEncoding(rawValue: $0.rawValue) } == .foundation ? .foundation : .direct
        for route in metrics.routes {
            p.responses &+= route.requests
            p.responseBytes &+= route.responseBytes.value
            p.encodeNanoseconds &+= route.stageNanoseconds(.encode)
        }
        return p
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        out.declare("dyno_response_bytes_total", .counter,
                    help: "Response body bytes as encoded (before compression), per route: divide by requests for bytes per response.")
        for route in metrics.routes where route.requests > 0 {
            out.sample("dyno_response_bytes_total", ["route": route.template], Double(route.responseBytes.value))
        }
        out.declare("dyno_encode_seconds_total", .counter, help: "Time spent encoding response bodies, per route.")
        for route in metrics.routes where route.requests > 0 {
            out.sample("dyno_encode_seconds_total", ["route": route.template], Double(route.stageNanoseconds(.encode)) / 1e9)
        }
    }
}
