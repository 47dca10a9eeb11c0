import Testing
@testable import Console

@Suite("Text: compact numbers for fixed-width cells")
struct TextTests {
    @Test func durations() {
        #expect(Text.duration(nanoseconds: 0) == "0")
        #expect(Text.duration(nanoseconds: 812_000) == "812µs")
        #expect(Text.duration(nanoseconds: 1_234_000) == "1.23ms")
        #expect(Text.duration(nanoseconds: 12_340_000) == "12.3ms")
        #expect(Text.duration(nanoseconds: 12_300_000_000) == "12.3s")
        #expect(Text.duration(nanoseconds: 9_999_000) == "10.0ms")
    }

    @Test func counts() {
        #expect(Text.count(987.0) == "987")
        #expect(Text.count(12_345.0) == "12.3k")
        #expect(Text.count(1_200_000.0) == "1.20M")
        #expect(Text.count(2.5) == "2.50")
        #expect(Text.count(-30.0) == "-30")
    }

    @Test func percentsBytesAndClock() {
        #expect(Text.percent(0) == "0%")
        #expect(Text.percent(0.0312) == "3.1%")
        #expect(Text.percent(0.5) == "50%")
        #expect(Text.bytes(512) == "512B")
        #expect(Text.bytes(3 * 1_048_576) == "3.00MiB")
        #expect(Text.clock(75) == "1:15")
        #expect(Text.clock(3725) == "1:02:05")
    }

    @Test func fitting() {
        #expect(Text.fit("abcdef", 4) == "abc…")
        #expect(Text.left("ab", 4) == "ab  ")
        #expect(Text.right("ab", 4) == "  ab")
        #expect(Text.fixed(-0.001, 2) == "0.00")
    }

    @Test func glyphLevels() {
        #expect(Glyphs.unicode.level(0) == " ")
        #expect(Glyphs.unicode.level(1) == "█")
        #expect(Glyphs.unicode.level(0.5) == "▄")
        #expect(Glyphs.ascii.level(1) == "#")
    }
}
