/// Seed: "memory": the leak detector's verdict is `flat` with the `memory` knob bounded and `growing` unbounded
/// (the detector must catch the leak). Until the knob and its verdict are in the backend the check is skipped
/// (knob missing), never passed.
struct MemoryCheck: VerifyCheck {
    let name = "memory"
    let criterion = "leak verdict flat when bounded, growing when unbounded"
    let knobs = ["memory"]
    let required = "bounded: flat; unbounded: growing"

    func trials(_ plan: VerifyPlan, _ s: KnobSettings) -> [String: VerifyTrial] { [:] }

    func judge(_ m: [String: VerifyMeasurement], plan: VerifyPlan) -> VerifyVerdict {
        .skipped("knob present, check not written yet", required: required)
    }
}
