import Testing
@testable import Console
#if canImport(Glibc)
import Glibc
#endif

@Suite("ConsoleApp without a terminal")
struct ConsoleAppTests {
    /// Under `swift test` stdout is normally a pipe or a file; when someone runs the tests in a terminal this
    /// check would start the real console, so it only runs without one.
    @Test(.enabled(if: isatty(STDOUT_FILENO) == 0, "stdout is a terminal here"))
    func refusesWhenStdoutIsNotATerminal() {
        let session = FakeSession(knobs: Fixtures.registry())
        #expect(ConsoleApp.run(session: session) == 2)
        #expect(session.calls.isEmpty)
        #expect(ConsoleApp.notATerminalMessage.contains("dyno run"))
    }

    @Test func keyCodesDecodeToConsoleKeys() {
        #expect(ConsoleApp.decodeKey(9) == .tab)
        #expect(ConsoleApp.decodeKey(Int32(Character("c").asciiValue!)) == .character("c"))
        #expect(ConsoleApp.decodeKey(3) == .character("q"))
        #expect(ConsoleApp.decodeKey(27) == .escape)
        #expect(ConsoleApp.decodeKey(200) == nil)
    }
}
