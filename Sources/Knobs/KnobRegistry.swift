import Synchronization

/// What a knob can be set to.
public enum KnobKind: Sendable, Equatable {
    /// One of a fixed list of values, e.g. ["off", "on"].
    case choice([String])
    /// An integer in a range, e.g. a pool size 1...64.
    case integer(ClosedRange<Int>)
}

/// What kind of setting a knob is: an optimization (naive vs optimized, moved by presets) or a fault injected into
/// the world around the backend (a sick dependency), which presets leave alone.
public enum KnobGroup: String, Sendable, Equatable, CaseIterable {
    case optimization, fault
}

/// A named, runtime-switchable setting: the data half of a knob (the backend decides what it does).
public struct KnobDefinition: Sendable, Equatable {
    public let id: String
    public let kind: KnobKind
    public let defaultValue: String
    /// The value under the `naive` preset (the honest "current implementation issue").
    public let naiveValue: String
    /// The value under the `optimized` preset.
    public let optimizedValue: String
    /// Console key that cycles the knob (nil: none).
    public let key: Character?
    /// One line: what the knob changes.
    public let summary: String
    /// Optimization (presets move it) or fault (presets leave it alone). Default: optimization.
    public let group: KnobGroup

    /// For a fault knob, `naiveValue` and `optimizedValue` are unused: pass the default for both.
    public init(id: String, kind: KnobKind, defaultValue: String, naiveValue: String, optimizedValue: String,
                key: Character?, summary: String, group: KnobGroup = .optimization) {
        self.id = id; self.kind = kind; self.defaultValue = defaultValue; self.naiveValue = naiveValue
        self.optimizedValue = optimizedValue; self.key = key; self.summary = summary; self.group = group
    }

    /// This knob's value under `preset`; nil for a fault knob (presets don't touch faults).
    public func value(under preset: KnobPreset) -> String? {
        guard group == .optimization else { return nil }
        return preset == .naive ? naiveValue : optimizedValue
    }

    /// Human-readable allowed values ("off|on", "1..64").
    public var allowedDescription: String {
        switch kind {
        case .choice(let values): return values.joined(separator: "|")
        case .integer(let range): return "\(range.lowerBound)..\(range.upperBound)"
        }
    }

    /// The stored integer for `value`, or nil when not allowed.
    func encode(_ value: String) -> Int? {
        switch kind {
        case .choice(let values): return values.firstIndex(of: value)
        case .integer(let range):
            guard let n = Int(value), range.contains(n) else { return nil }
            return n
        }
    }

    func decode(_ stored: Int) -> String {
        switch kind {
        case .choice(let values): return values[stored]
        case .integer: return String(stored)
        }
    }
}

/// One knob's live value. Reading is one relaxed atomic load, cheap enough for every request.
public final class Knob: Sendable {
    public let definition: KnobDefinition
    private let stored: Atomic<Int>

    init(_ definition: KnobDefinition) {
        self.definition = definition
        guard let initial = definition.encode(definition.defaultValue) else {
            preconditionFailure("knob \(definition.id): default \(definition.defaultValue) is not allowed")
        }
        stored = Atomic(initial)
    }

    public var id: String { definition.id }
    /// Choice knobs: index into the choices; integer knobs: the value.
    public var rawValue: Int { stored.load(ordering: .relaxed) }
    public var value: String { definition.decode(rawValue) }
    /// For choice knobs: is the current value `v`?
    public func isSet(to v: String) -> Bool { value == v }

    func store(_ raw: Int) { stored.store(raw, ordering: .relaxed) }
}

public enum KnobPreset: String, Sendable, CaseIterable {
    case naive, optimized
}

/// A change that was applied, for the run's timeline.
public struct KnobChange: Sendable, Equatable {
    public let atNanoseconds: UInt64
    public let id: String
    public let oldValue: String
    public let newValue: String
    /// "key", "profile", "http", "cli", ...
    public let source: String
}

public struct KnobError: Error, Equatable, CustomStringConvertible {
    public let knob: String
    public let message: String
    public var description: String { "knob \(knob): \(message)" }
}

/// The one registry of knobs: read by the backend on every request, written by console keys, profiles and
/// `PUT /debug/knobs`. Writers are serialised; a multi-knob change is validated as a whole before any knob moves.
public final class KnobRegistry: Sendable {
    public let knobs: [Knob]
    private let byID: [String: Knob]
    private struct WriterState {
        var changes: [KnobChange] = []
        var observers: [@Sendable ([KnobChange]) -> Void] = []
    }
    private let writer = Mutex(WriterState())
    private let clock: @Sendable () -> UInt64

    /// - Parameter clock: monotonic nanoseconds used to timestamp changes.
    public init(_ definitions: [KnobDefinition], clock: @escaping @Sendable () -> UInt64) {
        knobs = definitions.map(Knob.init)
        var map: [String: Knob] = [:]
        for k in knobs {
            precondition(map[k.id] == nil, "duplicate knob id \(k.id)")
            map[k.id] = k
        }
        byID = map
        self.clock = clock
    }

    public subscript(id: String) -> Knob? { byID[id] }

    /// Current values by id.
    public var values: [String: String] {
        Dictionary(uniqueKeysWithValues: knobs.map { ($0.id, $0.value) })
    }

    /// Applies every change or none: unknown ids or disallowed values throw before anything moves.
    /// Returns the changes that actually altered a value (setting a knob to its current value records nothing).
    @discardableResult
    public func set(_ assignments: [String: String], source: String) throws(KnobError) -> [KnobChange] {
        var encoded: [(Knob, Int)] = []
        for (id, value) in assignments.sorted(by: { $0.key < $1.key }) {
            guard let knob = byID[id] else {
                throw KnobError(knob: id, message: "unknown knob (known: \(knobs.map(\.id).joined(separator: ", ")))")
            }
            guard let raw = knob.definition.encode(value) else {
                throw KnobError(knob: id, message: "value \"\(value)\" not allowed (expected \(knob.definition.allowedDescription))")
            }
            encoded.append((knob, raw))
        }
        let (applied, observers) = writer.withLock { state -> ([KnobChange], [@Sendable ([KnobChange]) -> Void]) in
            let now = clock()
            var applied: [KnobChange] = []
            for (knob, raw) in encoded where knob.rawValue != raw {
                let old = knob.value
                knob.store(raw)
                applied.append(KnobChange(atNanoseconds: now, id: knob.id, oldValue: old, newValue: knob.value, source: source))
            }
            state.changes.append(contentsOf: applied)
            return (applied, state.observers)
        }
        // Observers run outside the lock: they may start background work (index builds, pool resizes).
        if !applied.isEmpty { for observe in observers { observe(applied) } }
        return applied
    }

    /// The assignments `preset` stands for: every optimization knob to its naive or optimized value (faults untouched).
    public func assignments(for preset: KnobPreset) -> [String: String] {
        var assignments: [String: String] = [:]
        for k in knobs { assignments[k.id] = k.definition.value(under: preset) }
        return assignments
    }

    /// Sets every optimization knob to its value under `preset` (fault knobs keep theirs).
    @discardableResult
    public func apply(preset: KnobPreset, source: String) -> [KnobChange] {
        let assignments = assignments(for: preset)
        // Preset values come from the definitions themselves, so they are always allowed.
        return (try? set(assignments, source: source)) ?? []
    }

    /// Moves a choice knob to its next value (wrapping), an integer knob up by `step` within its range.
    @discardableResult
    public func cycle(_ id: String, step: Int = 1, source: String) throws(KnobError) -> [KnobChange] {
        guard let knob = byID[id] else { throw KnobError(knob: id, message: "unknown knob") }
        switch knob.definition.kind {
        case .choice(let values):
            let next = values[((knob.rawValue + step) % values.count + values.count) % values.count]
            return try set([id: next], source: source)
        case .integer(let range):
            let next = Swift.min(Swift.max(knob.rawValue + step, range.lowerBound), range.upperBound)
            return try set([id: String(next)], source: source)
        }
    }

    /// Every change so far, oldest first.
    public var changes: [KnobChange] { writer.withLock { $0.changes } }

    /// `observer` is called (on the writer's thread, outside the registry lock) with each batch of applied changes.
    public func observe(_ observer: @escaping @Sendable ([KnobChange]) -> Void) {
        writer.withLock { $0.observers.append(observer) }
    }
}
