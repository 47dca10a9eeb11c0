import Engine

/// What changes when a run points at an external URL instead of the embedded demo backend.
enum ExternalTarget {
    /// Knob settings belong to the embedded backend. Asked for on the command line against a URL target, they are
    /// an error naming the flag; set by the profile, they are dropped and one note says so (returned, nil when
    /// there was nothing to drop). Profiles written for the demo then work unchanged against any Conduit server.
    static func dropKnobSettings(_ profile: inout Profile, overrides: RunOverrides) throws(ProfileError) -> String? {
        guard case .url = profile.target else {
            if profile.metricsURL != nil {
                throw ProfileError(file: "--metrics", field: "", message: "applies to an external --target only "
                                   + "(the embedded demo backend's probes are read directly)")
            }
            return nil
        }
        let target = profile.target.description
        if let preset = overrides.preset {
            throw ProfileError(file: "--preset \(preset.rawValue)", field: "",
                               message: "knobs apply to the embedded demo backend only, not to the external target \(target)")
        }
        if let (id, value) = overrides.knobs.sorted(by: { $0.key < $1.key }).first {
            throw ProfileError(file: "--knob \(id)=\(value)", field: "",
                               message: "knobs apply to the embedded demo backend only, not to the external target \(target)")
        }
        var fields: [String] = []
        if profile.preset != nil { fields.append("\"preset\"") }
        if !profile.knobs.isEmpty { fields.append("\"knobs\"") }
        if !profile.knobSchedule.isEmpty { fields.append("\"knobSchedule\"") }
        guard !fields.isEmpty else { return nil }
        profile.preset = nil
        profile.knobs = [:]
        profile.knobSchedule = []
        return "note: \(profile.source): \(fields.joined(separator: ", ")) ignored: knobs apply to the embedded demo "
            + "backend only, and the target is \(target)"
    }
}
