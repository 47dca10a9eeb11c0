import Foundation
import Metrics
import Testing
@testable import Console

/// The Memory panel of a scraped target (RSS only): its "climbing"/"steady" comes from `LeakDetector` over the last
/// minute, not from the difference of two readings.
@Suite struct ScrapedMemoryTrendTests {
    static let mb = 1_048_576.0

    @Test func aWobbleEndingHighIsSteadyNotClimbing() {
        // 200 MB ± 3 MB, alternating, the last reading high: first-to-last says +3 MB in 59 s (+3 MB/min).
        let samples = (0..<60).map { ($0, 200 * Self.mb + ($0 % 2 == 1 ? 3 : -3) * Self.mb) }
        let trend = BackendPanels.rssTrend(samples)
        #expect(trend.verdict == .flat)
    }

    @Test func aSteadyClimbIsGrowing() {
        let samples = (0..<60).map { ($0, 200 * Self.mb + Double($0) * 0.1 * Self.mb) }   // 6 MB a minute
        let trend = BackendPanels.rssTrend(samples)
        #expect(trend.verdict == .growing)
        #expect(abs(trend.slopeBytesPerSecond * 60 / Self.mb - 6) < 0.01)
    }

    @Test func underThirtySecondsThereIsNoVerdictYet() {
        let samples = (0..<20).map { ($0, 200 * Self.mb + Double($0) * Self.mb) }
        #expect(BackendPanels.rssTrend(samples).verdict == .collecting)
    }
}
