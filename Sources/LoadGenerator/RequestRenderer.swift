// Renders compiled routes into request bytes: appends into reused buffers, no String work per request.

/// A value list ready for rendering: every value in its encodings, and its sampler.
struct CompiledValueList: Sendable {
    let name: String
    let values: [EncodedValue]
    let sampler: IndexSampler
}

/// One session's variables (in the order of `SessionPlan.extract`).
struct SessionValues: Sendable {
    let variables: [EncodedValue]
}

/// Everything workers share read-only to build requests.
struct RequestCatalog: Sendable {
    let routes: [CompiledRoute]
    let routeSampler: IndexSampler
    let lists: [CompiledValueList]
    let sessions: [SessionValues]
    let run: EncodedValue
}

/// Per-worker rendering state: the random source, value picks of the current request and scratch buffers.
struct RequestRenderer {
    let catalog: RequestCatalog
    private var random: RandomSource
    private var picks: [Int]
    private var sequence: UInt64 = 0
    private let lane: UInt64
    private let lanes: UInt64
    private var body: [UInt8] = []

    init(catalog: RequestCatalog, seed: UInt64, lane: Int, lanes: Int) {
        self.catalog = catalog
        random = RandomSource(seed: seed &+ UInt64(lane) &* 0x9E37_79B9_7F4A_7C15)
        picks = [Int](repeating: -1, count: catalog.lists.count)
        self.lane = UInt64(lane)
        self.lanes = UInt64(lanes)
        body.reserveCapacity(4096)
    }

    /// Picks the next route of the weighted mix.
    @inline(__always)
    mutating func nextRoute() -> Int {
        catalog.routes.count == 1 ? 0 : catalog.routeSampler.sample(&random)
    }

    /// Replaces `buffer` with the bytes of one request of `route` for virtual user `vu` using session `session`
    /// (an index into the catalog's sessions, ignored when there are none).
    mutating func render(route index: Int, vu: Int, session: Int, into buffer: inout [UInt8]) {
        let route = catalog.routes[index]
        buffer.removeAll(keepingCapacity: true)
        if let fixed = route.staticBytes {
            buffer.append(contentsOf: fixed)
            return
        }
        sequence &+= 1
        for i in picks.indices { picks[i] = -1 }
        // Borrow the body scratch buffer out of self (a swap, no copy) so `append` can mutate self.
        var body: [UInt8] = []
        swap(&body, &self.body)
        defer { swap(&body, &self.body) }
        body.removeAll(keepingCapacity: true)
        for piece in route.body { append(piece, to: &body, vu: vu, session: session) }
        for piece in route.head { append(piece, to: &buffer, vu: vu, session: session) }
        if route.sendsLength {
            buffer.append(contentsOf: Self.contentLengthPrefix)
            Self.appendDecimal(UInt64(body.count), to: &buffer)
            buffer.append(13); buffer.append(10)
        }
        buffer.append(13); buffer.append(10)
        buffer.append(contentsOf: body)
    }

    /// Replaces `buffer` with the undo request of `route` (its `undoHead`, no body) for the values picked by the
    /// preceding `render` of the same route.
    mutating func renderUndo(route index: Int, vu: Int, session: Int, into buffer: inout [UInt8]) {
        guard let head = catalog.routes[index].undoHead else { return }
        buffer.removeAll(keepingCapacity: true)
        for piece in head { append(piece, to: &buffer, vu: vu, session: session) }
        buffer.append(13); buffer.append(10)
    }

    /// Identifies route `index` with the values the preceding `render` picked (what a user did, for undo routes).
    func pickKey(route index: Int) -> UInt64 {
        guard catalog.routes[index].staticBytes == nil else { return UInt64(index) }   // no values picked
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(index)
        for p in picks { h = (h ^ UInt64(bitPattern: Int64(p))) &* 0x0100_0000_01b3 }
        return h
    }

    private static let contentLengthPrefix = Array("Content-Length: ".utf8)

    @inline(__always)
    private mutating func append(_ piece: TemplatePiece, to out: inout [UInt8], vu: Int, session: Int) {
        switch piece {
        case .literal(let bytes):
            out.append(contentsOf: bytes)
        case .slot(let source, let encoding):
            switch source {
            case .list(let list):
                if picks[list] < 0 { picks[list] = catalog.lists[list].sampler.sample(&random) }
                out.append(contentsOf: catalog.lists[list].values[picks[list]].bytes(encoding))
            case .seq:
                // Unique across workers: worker lanes interleave.
                Self.appendDecimal((sequence - 1) &* lanes &+ lane + 1, to: &out)
            case .random(let low, let high):
                let span = high - low + 1
                let value = low + (span <= 0 ? 0 : random.next(below: span))
                if value < 0 { out.append(0x2D) }
                Self.appendDecimal(UInt64(value.magnitude), to: &out)
            case .vu:
                Self.appendDecimal(UInt64(vu), to: &out)
            case .run:
                out.append(contentsOf: catalog.run.bytes(encoding))
            case .session(let variable):
                guard !catalog.sessions.isEmpty else { return }
                let s = catalog.sessions[session % catalog.sessions.count]
                out.append(contentsOf: s.variables[variable].bytes(encoding))
            }
        }
    }

    /// Appends the decimal digits of `value` without creating a String.
    @inline(__always)
    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 { out.append(0x30 &+ UInt8(value)); return }
        let start = out.count
        var v = value
        while v > 0 {
            out.append(0x30 &+ UInt8(v % 10))
            v /= 10
        }
        var i = start, j = out.count - 1
        while i < j { out.swapAt(i, j); i += 1; j -= 1 }
    }
}
