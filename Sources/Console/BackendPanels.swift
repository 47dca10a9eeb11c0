import Metrics

/// The panels fed by the backend's probes: Cache, Pool, Breaker, Jobs, Memory. Without probes (an external
/// target, or a probe the backend does not have yet) a panel says "no data" plainly.
enum BackendPanels {
    static func draw(_ panel: PanelID, _ ctx: RenderContext, in r: Rect) {
        let canvas = ctx.canvas
        guard let backend = ctx.snapshot?.backend else {
            canvas.put("no data", in: r, row: 0, style: Style(.muted, bold: true))
            if ctx.snapshot == nil {
                canvas.put("(no snapshot yet)", in: r, row: 1, style: .muted)
            } else {
                externalNote(canvas, r, from: 1)
            }
            return
        }
        let rates = ctx.model.lastSecond?.backend
        // Figures scraped from a target's /metrics: panels it has no figures for say so, not "no probe".
        let absent: (String) -> Void = { what in
            if let scrape = backend.scrape { notScraped(what, scrape, canvas, r) } else { noProbe(what, canvas, r) }
        }
        switch panel {
        case .cache: if let c = backend.cache { cache(c, rates, ctx, r) } else { absent("cache") }
        case .pool: if backend.pool != nil || backend.serving != nil { pool(backend.pool, backend.serving, ctx, r) } else { absent("pool") }
        case .breaker:
            if backend.breakers.isEmpty && backend.dependency == nil { absent("breaker") }
            else { breakers(backend.breakers, backend.dependency, rates, ctx, r) }
        case .jobs: if backend.jobs != nil { jobs(backend.jobs, rates, ctx, r) } else { absent("jobs") }
        case .memory:
            // The embedded backend's memory probe (anon/file RSS, heap, verdict); a scraped target has RSS only.
            if let probe = backend.memory { MemoryPanel.draw(probe, ctx, r) }
            else if backend.rssBytes != nil || backend.scrape == nil { memory(backend.rssBytes, ctx, r) } else { absent("memory") }
            if let scrape = backend.scrape, let error = scrape.error, backend.rssBytes != nil, r.height > 2 {
                canvas.put(Text.fit("scrape failed: " + error, r.width), in: r, row: r.height - 1, style: .bad)
            }
        default: break
        }
    }

    static func noProbe(_ what: String, _ canvas: Canvas, _ r: Rect) {
        canvas.put("no data", in: r, row: 0, style: Style(.muted, bold: true))
        canvas.put("(the backend has no \(what) probe)", in: r, row: 1, style: .muted)
    }

    /// An external target without `--metrics`: why the backend panels are empty and how to fill some.
    static func externalNote(_ canvas: Canvas, _ r: Rect, from row: Int) {
        let lines = ["(external target: no probes)", "Dyno sees the load side only.",
                     "--metrics URL scrapes the server's", "Prometheus text: RSS, requests", "and durations by route."]
        for (i, line) in lines.enumerated() where row + i < r.height {
            canvas.put(line, in: r, row: row + i, style: .muted)
        }
    }

    /// A panel whose figures the scraped /metrics does not have.
    static func notScraped(_ what: String, _ scrape: ScrapeStatus, _ canvas: Canvas, _ r: Rect) {
        canvas.put("no data", in: r, row: 0, style: Style(.muted, bold: true))
        var lines = ["(no \(what) figures in the target's", "metrics; Dyno reads RSS, requests", "and durations by route)"]
        if let error = scrape.error { lines.append("scrape: " + error) }
        else if !scrape.recognized.isEmpty { lines.append("found: " + scrape.recognized.joined(separator: ", ")) }
        for (i, line) in lines.enumerated() where 1 + i < r.height {
            canvas.put(line, in: r, row: 1 + i, style: i == 3 && scrape.error != nil ? .bad : .muted)
        }
    }

    /// Writes "label value" pairs on one row, label muted.
    static func pairs(_ items: [(String, String, Style)], row: Int, _ canvas: Canvas, _ r: Rect) {
        var column = 0
        for (label, value, style) in items {
            guard column < r.width else { break }
            if !label.isEmpty {
                canvas.put(label + " ", in: r, row: row, column: column, style: .muted)
                column += label.count + 1
            }
            canvas.put(value, in: r, row: row, column: column, style: style)
            column += value.count + 2
        }
    }

    static func cache(_ c: CacheProbe, _ rates: BackendRates?, _ ctx: RenderContext, _ r: Rect) {
        let canvas = ctx.canvas
        pairs([("cache", c.enabled ? "on" : "off", c.enabled ? .good : Style(.warning, bold: true))], row: 0, canvas, r)
        let recent = rates?.cacheHitRate
        pairs([("hit rate", recent.map(Text.percent) ?? "-", Style(.good, bold: true)),
               ("overall", Text.percent(c.hitRate), .normal)], row: 1, canvas, r)
        let fill = c.capacityBytes > 0 ? Double(c.bytes) / Double(c.capacityBytes) : 0
        pairs([("size", "\(Text.count(c.entries)) entries, \(Text.bytes(Double(c.bytes)))", .normal)], row: 2, canvas, r)
        if c.capacityBytes > 0, r.height > 3 {
            let width = max(r.width - 12, 4)
            let (full, empty) = Charts.saturation(fill, width: width, glyphs: ctx.glyphs)
            canvas.put(full, in: r, row: 3, style: .accent)
            canvas.put(empty, in: r, row: 3, column: full.count, style: .muted)
            canvas.put(" of " + Text.bytes(Double(c.capacityBytes)), in: r, row: 3, column: width, style: .muted)
        }
        let row = c.capacityBytes > 0 ? 4 : 3
        pairs([("evictions", Text.count(rates?.cacheEvictionsPerSecond ?? 0) + "/s", .normal),
               ("total", Text.count(c.evictions), .muted)], row: row, canvas, r)
        pairs([("DB queries saved", Text.count(rates?.cacheQueriesSavedPerSecond ?? 0) + "/s", Style(.good, bold: true)),
               ("", "(" + Text.count(c.dbQueriesSaved) + ")", .muted)], row: row + 1, canvas, r)
        if r.height > row + 3 {
            let series = ctx.model.seconds.elements.map { $0.backend?.cacheHitRate ?? 0 }
            canvas.put("hit rate over time", in: r, row: row + 2, style: .muted)
            canvas.put(Charts.sparkline(series, width: r.width, maximum: 1, glyphs: ctx.glyphs), in: r, row: row + 3, style: .good)
        }
    }

    static func pool(_ probe: PoolProbe?, _ serving: ServingProbe?, _ ctx: RenderContext, _ r: Rect) {
        let canvas = ctx.canvas
        var row = 0
        if let p = probe {
            pairs([("mode", p.mode.rawValue, p.mode == .pool ? .good : Style(.warning, bold: true)), ("size", "\(p.size)", .normal)], row: row, canvas, r)
            row += 1
            let fraction = p.size > 0 ? Double(p.inUse) / Double(p.size) : (p.inUse > 0 ? 1 : 0)
            let label = " \(p.inUse)/\(p.size) in use"
            let width = max(r.width - label.count, 4)
            let (full, empty) = Charts.saturation(fraction, width: width, glyphs: ctx.glyphs)
            canvas.put(full, in: r, row: row, style: Charts.saturationStyle(fraction))
            canvas.put(empty, in: r, row: row, column: full.count, style: .muted)
            canvas.put(label, in: r, row: row, column: width)
            row += 1
            pairs([("idle", "\(p.idle)", .normal), ("waiters", "\(p.waiters)", p.waiters > 0 ? Style(.warning, bold: true) : .normal)],
                  row: row, canvas, r)
            row += 1
            pairs([("acquire p50", Text.duration(nanoseconds: p.acquireTime.p50), .normal),
                   ("p99", Text.duration(nanoseconds: p.acquireTime.p99), Style(.warning))], row: row, canvas, r)
            row += 1
            let timeoutRate = ctx.model.lastSecond?.backend?.poolTimeoutsPerSecond ?? 0
            pairs([("timeouts", Text.count(timeoutRate) + "/s", timeoutRate > 0 ? .bad : .normal),
                   ("total", Text.count(p.timeouts), .muted)], row: row, canvas, r)
            row += 1
        } else {
            noProbe("pool", canvas, r)
            row = 2
        }
        // The serving threads are the other saturation worth seeing next to the pool.
        if let s = serving, row + 1 < r.height {
            pairs([("serving", s.model.rawValue, s.model == .offloaded ? .good : Style(.warning, bold: true)),
                   ("workers", "\(s.workerBusy)/\(s.workerThreads)", .normal), ("queue", "\(s.workerQueueLength)", .normal)],
                  row: row, canvas, r)
            let label = " busy " + Text.percent(s.busyRatio)
            let width = max(r.width - label.count, 4)
            let (full, empty) = Charts.saturation(s.busyRatio, width: width, glyphs: ctx.glyphs)
            canvas.put(full, in: r, row: row + 1, style: Charts.saturationStyle(s.busyRatio))
            canvas.put(empty, in: r, row: row + 1, column: full.count, style: .muted)
            canvas.put(label, in: r, row: row + 1, column: width)
            if row + 2 < r.height { servingQueue(s, canvas, r, row: row + 2) }
        }
    }

    /// The requests no serving thread has read yet (kernel view): with `blocking` nothing bounds this queue.
    static func servingQueue(_ s: ServingProbe, _ canvas: Canvas, _ r: Rect, row: Int) {
        guard let waiting = s.connectionsWaiting else {
            canvas.put("unread requests: no data (kernel did not say)", in: r, row: row, style: .muted)
            return
        }
        let style = waiting > 0 ? Style(s.model == .blocking ? .bad : .warning, bold: true) : .normal
        var items: [(String, String, Style)] = [("unread conns", "\(waiting)", style)]
        if let backlog = s.acceptQueue { items.append(("backlog", "\(backlog)", backlog > 0 ? style : .normal)) }
        pairs(items, row: row, canvas, r)
    }

    /// Breaker: per dependency its state (coloured), failure and slow-call rates, rejections; the dependency calls
    /// (`dependency_io`: in flight, threads blocked, the injected fault); the last seconds of states as a strip.
    static func breakers(_ probes: [BreakerProbe], _ dependency: DependencyProbe?, _ rates: BackendRates?,
                         _ ctx: RenderContext, _ r: Rect) {
        let canvas = ctx.canvas
        guard let first = probes.first else { return noProbe("breaker", canvas, r) }
        let nameWidth = min(max(probes.map(\.dependency.count).max() ?? 0, 3), max(r.width / 4, 3)) + 1
        canvas.put(Text.left("dep", nameWidth) + Text.left("state", 11) + Text.right("fail", 5) + Text.right("slow", 5),
                   in: r, row: 0, style: .muted)
        var row = 1
        for b in probes where row < r.height {
            canvas.put(Text.left(b.dependency, nameWidth), in: r, row: row)
            canvas.put(Text.left((ctx.glyphs.isUnicode ? "● " : "* ") + b.state.rawValue, 11), in: r, row: row,
                       column: nameWidth, style: breakerStyle(b.state))
            canvas.put(Text.right(Text.percent(b.failureRate), 5), in: r, row: row, column: nameWidth + 11,
                       style: b.failureRate > 0 ? .bad : .normal)
            canvas.put(Text.right(Text.percent(b.slowCallRate), 5), in: r, row: row, column: nameWidth + 16,
                       style: b.slowCallRate > 0 ? Style(.warning) : .normal)
            row += 1
        }
        if row < r.height {
            let rejected = rates?.breakerRejectedPerSecond[first.dependency] ?? 0
            pairs([("rejected", Text.count(rejected) + "/s", rejected > 0 ? Style(.warning) : .normal),
                   ("total", Text.count(first.rejected), .muted)], row: row, canvas, r)
            row += 1
        }
        if let d = dependency, row + 1 < r.height {
            pairs([("io", d.io.rawValue, d.io == .async ? .good : Style(.warning, bold: true)),
                   ("in flight", Text.count(d.inFlight), .normal)], row: row, canvas, r)
            pairs([("blocked", Text.count(d.threadsBlocked), d.threadsBlocked > 0 ? .bad : .normal),
                   ("fault", d.fault.rawValue, d.fault == .ok ? .normal : Style(.warning, bold: true))], row: row + 1, canvas, r)
            row += 2
        }
        guard row + 1 < r.height else { return }
        canvas.put("\(first.dependency) state, last \(r.width) s", in: r, row: row, style: .muted)
        stateStrip(first, ctx, Rect(x: r.x, y: r.y + row + 1, width: r.width, height: 1))
    }

    static func breakerStyle(_ state: BreakerProbe.State) -> Style {
        switch state {
        case .closed: .good
        case .open: .bad
        case .halfOpen: Style(.warning, bold: true)
        case .off: .muted
        }
    }

    /// One column per second, newest on the right: the breaker's state then, from its transitions.
    static func stateStrip(_ b: BreakerProbe, _ ctx: RenderContext, _ r: Rect) {
        let glyph: (BreakerProbe.State) -> String = { state in
            switch state {
            case .closed: ctx.glyphs.isUnicode ? "▁" : "_"
            case .open: ctx.glyphs.isUnicode ? "█" : "#"
            case .halfOpen: ctx.glyphs.isUnicode ? "▄" : "~"
            case .off: " "
            }
        }
        for column in 0..<r.width {
            let secondsAgo = UInt64(r.width - 1 - column)
            let at = b.probedAtNanoseconds &- min(b.probedAtNanoseconds, secondsAgo * 1_000_000_000)
            // The state at `at`: the last transition before it, or (before any) where the first one started.
            var state = b.transitions.first?.from ?? (b.state == .off ? .closed : b.state)
            for t in b.transitions where t.atNanoseconds <= at { state = t.to }
            if b.transitions.isEmpty { state = b.state == .off ? .off : state }
            ctx.canvas.put(glyph(state), in: r, row: 0, column: column, style: breakerStyle(state))
        }
    }

    /// Jobs: the `jobs` mode, depth, running, p50/p99 job latency (enqueue → done), throughput, retries and dead
    /// jobs, and the depth over time.
    static func jobs(_ probe: JobsProbe?, _ rates: BackendRates?, _ ctx: RenderContext, _ r: Rect) {
        let canvas = ctx.canvas
        guard let j = probe else { return noProbe("jobs", canvas, r) }
        pairs([("jobs", j.mode.rawValue, j.mode == .queued ? .good : Style(.warning, bold: true)),
               ("running", "\(j.running)/\(j.workers)", .normal)], row: 0, canvas, r)
        pairs([("queue depth", Text.count(j.queueDepth), Style(.accent, bold: true))], row: 1, canvas, r)
        pairs([("latency p50", j.latency.count == 0 ? "-" : Text.duration(nanoseconds: j.latency.p50), .normal),
               ("p99", j.latency.count == 0 ? "-" : Text.duration(nanoseconds: j.latency.p99), Style(.warning))],
              row: 2, canvas, r)
        pairs([("done", Text.count(rates?.jobsCompletedPerSecond ?? 0) + "/s", .normal),
               ("retried", Text.count(j.retried), j.retried > 0 ? Style(.warning) : .normal),
               ("dead", Text.count(j.dead), j.dead > 0 ? .bad : .normal)], row: 3, canvas, r)
        if r.height > 5 {
            let series = ctx.model.seconds.elements.map { Double($0.backend?.jobsQueueDepth ?? 0) }
            canvas.put("queue depth over time", in: r, row: 4, style: .muted)
            canvas.put(Charts.sparkline(series, width: r.width, glyphs: ctx.glyphs), in: r, row: 5, style: .accent)
        }
    }

    /// `LeakDetector` over (second, RSS bytes) samples of a scraped target: its threshold and fit, no warm-up (the
    /// panel shows the last minute), a verdict after 30 samples over 30 s.
    static func rssTrend<S: Sequence>(_ samples: S) -> LeakAssessment where S.Element == (Int, Double) {
        var rule = LeakDetector.Configuration()
        rule.warmUpSeconds = 0
        rule.windowSamples = 60
        rule.minimumSamples = 30
        rule.minimumSpanSeconds = 29
        return LeakDetector.assess(samples.lazy.map { (Double($0.0), $0.1) }, configuration: rule)
    }

    static func memory(_ rss: UInt64?, _ ctx: RenderContext, _ r: Rect) {
        let canvas = ctx.canvas
        guard let rss else { return noProbe("memory", canvas, r) }
        // 0 means the probe could not read it this time (no process has an RSS of 0): a gap, not a value.
        let samples = ctx.model.seconds.elements.compactMap { s in
            s.backend?.rssBytes.flatMap { $0 > 0 ? (s.second, Double($0)) : nil }
        }
        guard let now = rss > 0 ? Double(rss) : samples.last?.1 else { return noProbe("memory", canvas, r) }
        var items: [(String, String, Style)] = [("RSS", Text.bytes(now), Style(.accent, bold: true))]
        // The last minute through the same leak detector as the embedded backend's (least squares with its fit):
        // a first impression only, after 30 s of samples; a wobble between two readings is not a climb.
        let trend = rssTrend(samples.suffix(60))
        if trend.samples >= 2 {
            let perMinute = trend.slopeBytesPerSecond * 60
            let climbing = trend.verdict == .growing
            items.append(("", (perMinute >= 0 ? "+" : "-") + Text.bytes(abs(perMinute)) + "/min",
                          climbing ? Style(.warning, bold: true) : .muted))
            if trend.verdict != .collecting {
                items.append(("", climbing ? "climbing" : "steady", climbing ? Style(.warning, bold: true) : .good))
            }
        }
        pairs(items, row: 0, canvas, r)
        guard r.height >= 3, !samples.isEmpty else { return }
        let chart = Rect(x: r.x, y: r.y + 1, width: r.width, height: r.height - 1)
        let values = samples.map(\.1)
        let (columns, _) = Charts.downsample(values, columns: chart.width, firstIndex: samples[0].0) { $0.max() ?? 0 }
        // Scale from just below the smallest value so growth is visible (RSS never starts at zero).
        let floor = (columns.min() ?? 0) * 0.9
        let shifted = columns.map { $0 - floor }
        Charts.bars(shifted, in: chart, maximum: (shifted.max() ?? 0) * 1.05, on: canvas) { _, _ in .accent }
    }
}
