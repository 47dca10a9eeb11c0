import Knobs
import Metrics
import Synchronization

/// `memory`: whether the memo of rendered responses (`RenderedResponseMemo`, keyed by viewer and URL) ever lets
/// go of anything.
/// - unbounded (naive): nothing is evicted: the process grows with every distinct (user, URL) it has served;
/// - bounded (optimized): a byte bound (8 MiB) and an expiry (30 s). Switching to bounded empties the memo.
///
/// It also owns the process's memory watch: RSS split into anonymous and file-backed pages, heap in use
/// (`mallinfo2`), and a `LeakDetector` over anonymous RSS (the verdict) and over the heap, fed once a second.
final class MemoryKnob: KnobUnit {
    static let definitions = [
        KnobDefinition(id: "memory", kind: .choice(["unbounded", "bounded"]), defaultValue: "bounded",
                       naiveValue: "unbounded", optimizedValue: "bounded", key: "y",
                       summary: "memo of rendered responses per user and URL: never evicted (a leak) or bounded with expiry"),
    ]
    static let bounded = choiceIndex("memory", "bounded")

    /// The memo, reading the knob on every call.
    static func makeMemo(_ knobs: KnobRegistry) -> RenderedResponseMemo {
        let knob = knobs["memory"]
        return RenderedResponseMemo(mode: { knob?.rawValue == MemoryKnob.bounded || knob == nil ? .bounded : .unbounded })
    }

    let knob: Knob?
    let memo: RenderedResponseMemo
    let watch = MemoryWatch()

    init(parts: BackendParts) {
        knob = parts.knobs["memory"]
        memo = parts.memo
    }

    func apply(_ changes: [KnobChange]) {
        if changes.contains(where: { $0.id == "memory" && $0.newValue == "bounded" }) { memo.removeAll() }
    }

    func probe(into snapshot: inout BackendSnapshot) {
        var p = MemoryProbe()
        p.mode = knob?.rawValue == Self.bounded || knob == nil ? .bounded : .unbounded
        if let reading = watch.sample(now: MonotonicClock.nanoseconds()) {
            p.rssAnonBytes = reading.memory.rssAnonBytes
            p.rssFileBytes = reading.memory.rssFileBytes
            p.heapInUseBytes = reading.memory.heapInUseBytes
            p.heapFreeBytes = reading.memory.heapFreeBytes
            p.anon = reading.anon
            p.heap = reading.heap
        }
        p.rule = watch.configuration
        let s = memo.statistics
        p.memoEntries = s.entries
        p.memoBytes = s.bytes
        p.memoHits = s.hits
        p.memoMisses = s.misses
        p.memoEvictions = s.evictions
        snapshot.memory = p
    }

    func writeMetrics(to out: inout PrometheusWriter) {
        if let reading = watch.sample(now: MonotonicClock.nanoseconds()) {
            let m = reading.memory
            out.declare("dyno_process_memory_bytes", .gauge,
                        help: "Resident memory by kind (/proc/self/status RssAnon, RssFile) and heap (mallinfo2 in use, free).")
            out.sample("dyno_process_memory_bytes", ["kind": "rss_anon"], Double(m.rssAnonBytes))
            out.sample("dyno_process_memory_bytes", ["kind": "rss_file"], Double(m.rssFileBytes))
            out.sample("dyno_process_memory_bytes", ["kind": "heap_in_use"], Double(m.heapInUseBytes))
            out.sample("dyno_process_memory_bytes", ["kind": "heap_free"], Double(m.heapFreeBytes))
            out.declare("dyno_memory_slope_bytes_per_second", .gauge,
                        help: "Least-squares slope after warm-up (anonymous RSS, heap in use).")
            out.sample("dyno_memory_slope_bytes_per_second", ["kind": "rss_anon"], reading.anon.slopeBytesPerSecond)
            out.sample("dyno_memory_slope_bytes_per_second", ["kind": "heap_in_use"], reading.heap.slopeBytesPerSecond)
            out.declare("dyno_memory_slope_fit", .gauge, help: "R² of the slope's fit, 0..1.")
            out.sample("dyno_memory_slope_fit", ["kind": "rss_anon"], reading.anon.fit)
            out.sample("dyno_memory_slope_fit", ["kind": "heap_in_use"], reading.heap.fit)
            out.declare("dyno_memory_leak_verdict", .gauge,
                        help: "Leak verdict over anonymous RSS: 1 for the current one (collecting, flat, growing).")
            for verdict in LeakVerdict.allCases {
                out.sample("dyno_memory_leak_verdict", ["verdict": verdict.rawValue], verdict == reading.anon.verdict ? 1 : 0)
            }
        }
        let s = memo.statistics
        out.gauge("dyno_memo_entries", help: "Rendered responses held by the memo (the memory knob's structure).", s.entries)
        out.gauge("dyno_memo_bytes", help: "Estimated bytes held by the memo.", s.bytes)
        out.counter("dyno_memo_hits_total", help: "Requests answered from the memo.", s.hits)
        out.counter("dyno_memo_evictions_total", help: "Memo entries dropped (bound, expiry, stale generation).", s.evictions)
    }
}

/// Samples process memory at most once a second and keeps the two leak detectors (anonymous RSS, heap).
final class MemoryWatch: Sendable {
    struct Reading: Sendable {
        var memory: ProcessMemory
        var anon: LeakAssessment
        var heap: LeakAssessment
    }

    private struct State {
        var anon: LeakDetector
        var heap: LeakDetector
        var lastSampleAt: UInt64?
        var latest: Reading?
    }

    let configuration: LeakDetector.Configuration
    private let state: Mutex<State>
    /// One sample a second: the detector's window and thresholds are set for that rate, and reading
    /// /proc/self/status 10 times a second would cost for nothing.
    static let intervalNanoseconds: UInt64 = 1_000_000_000

    init(configuration: LeakDetector.Configuration = .init()) {
        self.configuration = configuration
        state = Mutex(State(anon: LeakDetector(configuration: configuration), heap: LeakDetector(configuration: configuration)))
    }

    /// The latest reading, taking a new sample when a second has passed since the last one.
    func sample(now: UInt64) -> Reading? {
        state.withLock { state in
            if let last = state.lastSampleAt, now &- last < Self.intervalNanoseconds { return state.latest }
            guard let memory = ProcessMemory.read() else { return state.latest }
            state.lastSampleAt = now
            let seconds = Double(now) / 1e9
            state.anon.record(atSeconds: seconds, bytes: Double(memory.rssAnonBytes))
            state.heap.record(atSeconds: seconds, bytes: Double(memory.heapInUseBytes))
            let reading = Reading(memory: memory, anon: state.anon.assessment, heap: state.heap.assessment)
            state.latest = reading
            return reading
        }
    }
}
