import Testing
@testable import Console

@Suite("Layout: panels from 80×24 up")
struct LayoutTests {
    func check(_ layout: Layout) {
        let rects = layout.slots.map(\.rect) + [layout.header!, layout.helpBar!]
        for (i, a) in rects.enumerated() {
            #expect(a.x >= 0 && a.y >= 0 && a.maxX <= layout.width && a.maxY <= layout.height, "\(a) outside")
            #expect(a.width >= 20 && a.height >= 1, "\(a) too small")
            for b in rects[(i + 1)...] {
                let overlap = a.x < b.maxX && b.x < a.maxX && a.y < b.maxY && b.y < a.maxY
                #expect(!overlap, "\(a) overlaps \(b)")
            }
        }
        // Every cell of the body is covered by some slot.
        let covered = layout.slots.reduce(0) { $0 + $1.rect.width * $1.rect.height }
        #expect(covered == layout.width * (layout.height - layout.header!.height - 1))
        let shown = Set(layout.slots.flatMap(\.panels))
        #expect(shown.isSuperset(of: [.latency, .overTime, .routes, .cache, .pool, .breaker, .jobs, .memory]))
    }

    @Test func belowTheMinimumThereIsNoLayout() {
        #expect(Layout(width: 79, height: 24).isTooSmall)
        #expect(Layout(width: 80, height: 23).isTooSmall)
        #expect(!Layout(width: 80, height: 24).isTooSmall)
    }

    @Test(arguments: [(80, 24), (100, 30), (119, 40), (120, 36), (160, 48), (240, 70)])
    func panelsTileTheScreen(size: (Int, Int)) {
        check(Layout(width: size.0, height: size.1))
        check(Layout(width: size.0, height: size.1, headerHeight: 4, comparing: true))
    }

    @Test func smallScreensShareOneSlotForTheBackendPanels() {
        let small = Layout(width: 80, height: 24)
        #expect(small.slots.contains { $0.panels == PanelID.backend })
        #expect(small.rect(of: .pool, backendTab: .pool) != nil)
        #expect(small.rect(of: .pool, backendTab: .cache) == nil)
        let large = Layout(width: 160, height: 48)
        #expect(large.slots.count == 9)
        #expect(large.rect(of: .pool, backendTab: .cache) != nil)
    }

    @Test func comparingPutsTheComparisonWhereStatusWas() {
        let l = Layout(width: 80, height: 24, comparing: true)
        #expect(l.slots.contains { $0.panels == [.compare] })
        #expect(!l.slots.contains { $0.panels.contains(.status) })
        #expect(l.rect(of: .compare, backendTab: .cache)!.height >= 8)
    }

    @Test func zoomGivesTheBodyToOnePanel() {
        let l = Layout(width: 80, height: 24, zoomed: .routes)
        #expect(l.slots.count == 1)
        #expect(l.slots[0].rect == Rect(x: 0, y: 3, width: 80, height: 20))
    }
}
