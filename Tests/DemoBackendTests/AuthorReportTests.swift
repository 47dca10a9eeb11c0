@testable import DemoBackend
import Testing

/// The report's similarity step: the merge count over numbered vocabularies gives what set intersection gives.
@Suite("Reports: the similarity step")
struct AuthorReportTests {
    @Test func sharedCountsEqualSetIntersections() {
        var generator = SystemRandomNumberGenerator()
        let words = (0..<300).map { "w\($0)" }
        let vocabularies: [Set<String>] = (0..<40).map { index in
            // Sizes from empty to most of the words, overlapping at random.
            Set((0..<(index * 7 % 250)).map { _ in words.randomElement(using: &generator)! })
        }
        let numbered = AuthorReport.numberedVocabularies(vocabularies)
        for i in vocabularies.indices {
            #expect(numbered[i].count == vocabularies[i].count)
            #expect(numbered[i] == numbered[i].sorted())
            for j in vocabularies.indices {
                #expect(AuthorReport.sharedCount(numbered[i], numbered[j]) == vocabularies[i].intersection(vocabularies[j]).count)
            }
        }
    }
}
