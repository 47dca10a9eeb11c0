import Testing
@testable import Console
import Knobs
import Metrics

@Suite("Keys: knob registry changes, session actions, view state")
struct KeyHandlingTests {
    /// Presses `key`, applying knob actions to the registry as the console does.
    @discardableResult
    func press(_ key: ConsoleKey, _ m: inout ConsoleModel, _ knobs: KnobRegistry?) -> [ConsoleAction] {
        let actions = m.handle(key, knobs: knobs)
        for case let .setKnob(id, value) in actions { _ = try? knobs?.set([id: value], source: "key") }
        return actions
    }

    @Test func knobKeyCyclesAChoiceKnobThroughTheRegistry() {
        let knobs = Fixtures.registry()
        var m = Fixtures.model(ticks: 5)
        #expect(press(.character("c"), &m, knobs) == [.setKnob(id: "cache", value: "on")])
        #expect(knobs["cache"]?.value == "on")
        #expect(knobs.changes.last?.source == "key")
        press(.character("c"), &m, knobs)
        #expect(knobs["cache"]?.value == "off")
    }

    @Test func upperCaseStepsAChoiceKnobBack() {
        let knobs = Fixtures.registry()
        var m = Fixtures.model(ticks: 5)
        press(.character("E"), &m, knobs)
        #expect(knobs["encoding"]?.value == "gzip")
        press(.character("e"), &m, knobs)
        #expect(knobs["encoding"]?.value == "foundation")
    }

    @Test func integerKnobDoublesAndHalvesWithinItsRange() {
        let knobs = Fixtures.registry()
        var m = Fixtures.model(ticks: 5)
        press(.character("p"), &m, knobs)
        #expect(knobs["pool"]?.value == "8")
        press(.character("P"), &m, knobs)
        press(.character("P"), &m, knobs)
        #expect(knobs["pool"]?.value == "2")
        press(.character("P"), &m, knobs)
        #expect(knobs["pool"]?.value == "1")
        #expect(press(.character("P"), &m, knobs) == [])   // already at the bottom
        #expect(m.flash == "pool already at 1")
        for _ in 0..<8 { press(.character("p"), &m, knobs) }
        #expect(knobs["pool"]?.value == "64")
    }

    @Test func presetsGoToTheSessionAndNeedKnobs() {
        var m = Fixtures.model(ticks: 5)
        #expect(m.handle(.character("O"), knobs: Fixtures.registry()) == [.applyPreset(.optimized)])
        #expect(m.handle(.character("N"), knobs: Fixtures.registry()) == [.applyPreset(.naive)])
        #expect(m.handle(.character("N"), knobs: nil) == [])
        #expect(m.handle(.character("c"), knobs: nil) == [])
    }

    @Test func rateKeysFollowTheLoadModel() {
        var open = Fixtures.model(ticks: 5)
        #expect(open.handle(.character("+"), knobs: nil) == [.adjustRate(factor: 1.25)])
        #expect(open.handle(.character("-"), knobs: nil) == [.adjustRate(factor: 1 / 1.25)])
        #expect(open.handle(.character("]"), knobs: nil) == [])

        var closed = ConsoleModel(title: "t")
        for s in Fixtures.snapshots(3, model: .closed(users: 50, thinkTimeSeconds: 0)) { closed.ingest(s) }
        #expect(closed.handle(.character("]"), knobs: nil) == [.adjustUsers(delta: 5)])
        #expect(closed.handle(.character("["), knobs: nil) == [.adjustUsers(delta: -5)])
        #expect(closed.handle(.character("+"), knobs: nil) == [])
    }

    @Test func sessionKeys() {
        var m = Fixtures.model(ticks: 5)
        #expect(m.handle(.character(" "), knobs: nil) == [.togglePause])
        #expect(m.handle(.character("q"), knobs: nil) == [.quit])
    }

    @Test func helpOverlayTakesKeysUntilClosed() {
        let knobs = Fixtures.registry()
        var m = Fixtures.model(ticks: 5)
        _ = m.handle(.character("?"), knobs: knobs)
        #expect(m.showHelp)
        #expect(m.handle(.character("c"), knobs: knobs) == [])
        #expect(knobs["cache"]?.value == "off")
        _ = m.handle(.escape, knobs: knobs)
        #expect(!m.showHelp)
        _ = m.handle(.character("?"), knobs: knobs)
        #expect(m.handle(.character("q"), knobs: knobs) == [.quit])
    }

    @Test func tabMovesFocusThroughEveryPanelAndPicksTheBackendTab() {
        var m = Fixtures.model(ticks: 5)
        var seen: [PanelID] = [m.focus]
        for _ in 0..<8 { _ = m.handle(.tab, knobs: nil); seen.append(m.focus) }
        #expect(seen == [.latency, .overTime, .routes, .status, .cache, .pool, .breaker, .jobs, .memory])
        #expect(m.backendTab == .memory)
        _ = m.handle(.tab, knobs: nil)
        #expect(m.focus == .latency)
        _ = m.handle(.backTab, knobs: nil)
        #expect(m.focus == .memory)
        _ = m.handle(.left, knobs: nil)
        #expect(m.focus == .jobs)
    }

    @Test func sortKeysCycleColumnsAndReorderRoutes() {
        var m = Fixtures.model(ticks: 25)
        let canvas = MemoryCanvas(width: 80, height: 24)
        func order() -> [String] {
            RoutesPanel.rows(RenderContext(model: m, knobs: nil, canvas: canvas, finished: false)).map(\.name)
        }
        #expect(order() == Fixtures.routeNames)
        _ = m.handle(.character(">"), knobs: nil)   // rate
        _ = m.handle(.character(">"), knobs: nil)   // p50
        #expect(m.routeSort == .p50)
        #expect(order().first == "POST /api/users/login")
        _ = m.handle(.character("I"), knobs: nil)
        #expect(order().last == "POST /api/users/login")
        _ = m.handle(.character("<"), knobs: nil)
        #expect(m.routeSort == .rate)
    }

    @Test func markSetsABaselineAndPressingAgainClearsIt() throws {
        var m = Fixtures.model(ticks: 125)
        _ = m.handle(.character("m"), knobs: nil)
        let mark = try #require(m.mark)
        #expect(mark.baseline.count == 10)
        #expect(mark.atSecond == 12)   // the second in progress
        #expect(m.focusOrder.contains(.compare) && !m.focusOrder.contains(.status))
        _ = m.handle(.character("m"), knobs: nil)
        #expect(m.mark == nil)
        #expect(m.comparison == nil)
    }
}

@Suite("Keys the console keeps")
struct ReservedKeyTests {
    @Test func consoleKeysWinOverAKnobBoundToTheSameKey() {
        let knobs = KnobRegistry([
            KnobDefinition(id: "query", kind: .choice(["n+1", "batched"]), defaultValue: "batched", naiveValue: "n+1",
                           optimizedValue: "batched", key: "q", summary: "list queries"),
        ], clock: { 0 })
        var m = Fixtures.model(ticks: 5)
        #expect(m.handle(.character("q"), knobs: knobs) == [.quit])
        #expect(ConsoleKeys.reserved.contains("q"))
    }
}
