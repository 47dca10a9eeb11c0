import Knobs

/// Which optimization mattered: each knob (family) alone turned on from all-naive, and alone turned off from
/// all-optimized, the read mix at the same rate. A knob's share of the improvement is how far it alone moves a
/// figure from one end towards the other, as a fraction of the whole naive→optimized change. Pure arithmetic here;
/// `VerifyRunner` measures the trials.
public struct Ablation: Sendable {
    /// A knob and the knobs that go with it (`pool` with `pool_size`).
    public struct Family: Sendable, Equatable {
        public var name: String
        public var knobs: [String]
    }

    public var families: [Family]
    public var rate: Double

    /// Knobs whose routes are not in the read mix: their effect is measured by their own checks (non-blocking,
    /// external calls), and here it would only read as noise.
    public static let notInReadMix: Set<String> = ["dependency_io", "breaker", "jobs"]

    /// Families from the optimization knobs: `x_y` joins `x` when `x` is itself an optimization knob.
    public init(settings: KnobSettings, definitions: [KnobDefinition], rate: Double) {
        let ids = definitions.filter { $0.group == .optimization }.map(\.id).filter { !Self.notInReadMix.contains($0) }
        var families: [Family] = []
        for id in ids {
            if let cut = id.firstIndex(of: "_"), let i = families.firstIndex(where: { $0.name == String(id[..<cut]) }) {
                families[i].knobs.append(id)
            } else {
                families.append(Family(name: id, knobs: [id]))
            }
        }
        self.families = families
        self.rate = rate
    }

    public func naiveTrial(_ s: KnobSettings) -> VerifyTrial { VerifyTrial(mix: .reads, knobs: s.naive(), rate: rate) }
    public func optimizedTrial(_ s: KnobSettings) -> VerifyTrial { VerifyTrial(mix: .reads, knobs: s.optimized(), rate: rate) }

    /// All-naive with `family` optimized.
    public func aloneOn(_ f: Family, _ s: KnobSettings) -> VerifyTrial {
        VerifyTrial(mix: .reads, knobs: s.naive(Dictionary(uniqueKeysWithValues: f.knobs.map { ($0, s.optimized[$0]!) })), rate: rate)
    }

    /// All-optimized with `family` naive.
    public func aloneOff(_ f: Family, _ s: KnobSettings) -> VerifyTrial {
        VerifyTrial(mix: .reads, knobs: s.optimized(Dictionary(uniqueKeysWithValues: f.knobs.map { ($0, s.naive[$0]!) })), rate: rate)
    }

    public func trials(_ s: KnobSettings) -> [VerifyTrial] {
        [naiveTrial(s), optimizedTrial(s)] + families.flatMap { [aloneOn($0, s), aloneOff($0, s)] }
    }

    /// The three figures the table reads from a trial.
    public struct Figures: Sendable, Equatable {
        public var p95Milliseconds: Double
        public var achievedRate: Double
        public var queriesPerRead: Double
        public init(p95Milliseconds: Double, achievedRate: Double, queriesPerRead: Double) {
            self.p95Milliseconds = p95Milliseconds; self.achievedRate = achievedRate; self.queriesPerRead = queriesPerRead
        }
        public init(_ m: VerifyMeasurement) {
            self.init(p95Milliseconds: Double(m.overall.latency.percentile(95)) / 1e6, achievedRate: m.achievedRate,
                      queriesPerRead: m.queriesPerRequest(isRead) ?? 0)
        }
    }

    public struct Row: Sendable, Equatable {
        public var family: String
        public var aloneOn: Figures
        public var aloneOff: Figures
        /// Share of the whole improvement, per figure: alone on (from naive), alone off (lost from optimized).
        public var shareOn: Figures
        public var shareOff: Figures
    }

    /// How far `x` moved from `from` towards `to`, as a fraction of `to − from`; nil when the ends differ by less
    /// than 5% (at a rate both ends sustain, achieved rates differ by noise, and a share of noise reads as ±300%).
    public static func share(_ x: Double, from: Double, to: Double) -> Double? {
        let whole = to - from
        guard abs(whole) > 0.05 * max(abs(from), abs(to)), abs(whole) > 1e-12 else { return nil }
        return (x - from) / whole
    }

    /// The table from measured figures. `shareOn` is (on − naive)/(optimized − naive); `shareOff` is
    /// (optimized − off)/(optimized − naive): what turning the knob off alone gives back. NaN when the ends are equal.
    public static func rows(naive: Figures, optimized: Figures, families: [(String, on: Figures, off: Figures)]) -> [Row] {
        func shares(_ x: Figures, lost: Bool) -> Figures {
            func one(_ v: Double, _ n: Double, _ o: Double) -> Double {
                guard let s = share(v, from: n, to: o) else { return .nan }
                return lost ? 1 - s : s
            }
            return Figures(p95Milliseconds: one(x.p95Milliseconds, naive.p95Milliseconds, optimized.p95Milliseconds),
                           achievedRate: one(x.achievedRate, naive.achievedRate, optimized.achievedRate),
                           queriesPerRead: one(x.queriesPerRead, naive.queriesPerRead, optimized.queriesPerRead))
        }
        return families.map { Row(family: $0.0, aloneOn: $0.on, aloneOff: $0.off, shareOn: shares($0.on, lost: false),
                                  shareOff: shares($0.off, lost: true)) }
    }
}
