import Testing
import Metrics

@Suite struct LoadCountsTests {
    @Test func addSumsEveryFieldAndErrorRateCountsTransportFailures() {
        var a = LoadCounts()
        a.sent = 10; a.completed = 8; a.errors = 3
        a.statusCounts = [200: 7, 500: 1]
        a.transportErrors = [.refused: 2]
        var b = LoadCounts()
        b.sent = 5; b.completed = 5; b.statusCounts = [200: 5]
        a.add(b)
        #expect(a.sent == 15 && a.completed == 13 && a.errors == 3)
        #expect(a.statusCounts == [200: 12, 500: 1])
        #expect(a.transportErrors == [.refused: 2])
        #expect(abs(a.errorRate - 3.0 / 15.0) < 1e-12)
    }
}
