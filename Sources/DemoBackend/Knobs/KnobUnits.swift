import Knobs

/// THE list of knobs. Adding a knob: write `Knobs/<Name>Knob.swift` (a `KnobUnit`), add its type here, give it a
/// panel in the console (see README, "Adding a knob"). Order here is the order of `dyno knobs`, the console header
/// and `/debug/knobs`.
enum KnobUnits {
    static let all: [any KnobUnit.Type] = [
        QueryKnob.self,
        IndexesKnob.self,
        CountsKnob.self,
        CacheKnob.self,
        PoolKnob.self,
        ServingKnob.self,
        DependencyFaultKnob.self,
        DependencyIOKnob.self,
        BreakerKnob.self,
        JobsKnob.self,
        EncodingKnob.self,
        CompressionKnob.self,
        PagingKnob.self,
        MemoryKnob.self,
    ]

    /// Every knob definition, in list order.
    static var definitions: [KnobDefinition] { all.flatMap { $0.definitions } }
}
