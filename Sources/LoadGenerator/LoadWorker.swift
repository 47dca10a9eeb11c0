// One load worker: a single thread running one epoll loop over many non-blocking keep-alive connections.
import CLinuxShim
import HTTP
import Metrics
#if canImport(Glibc)
import Glibc
#endif

/// How a worker offers load.
enum WorkerModel: Sendable {
    /// Open model: up to `connections` connections on this worker, sends on the dispatcher's schedule.
    case open(connections: Int, epoch: ScheduleEpoch)
    /// Closed model: users `lane, lane + lanes, …` below the control's user count, `thinkNanos` between requests.
    case closed(thinkNanos: UInt64, maxUsers: Int)
}

/// What a worker needs; all `Sendable`, built once by `LoadGenerator`.
struct WorkerConfig: Sendable {
    var lane: Int
    var lanes: Int
    var address: ClientAddress
    var catalog: RequestCatalog
    var seed: UInt64
    var requestTimeoutNanos: UInt64
    var model: WorkerModel
    var control: GeneratorControl
    var mailbox: WorkerMailbox
    /// After a transport error a closed-model user waits this long before its next attempt, so a dead target is
    /// not hammered in a busy loop (10 ms).
    var errorBackoffNanos: UInt64 = 10_000_000
    /// How long `stop` lets in-flight requests finish.
    var drainNanos: UInt64 = 2_000_000_000
}

/// One connection slot: a closed-model user, or one of the open model's connections.
struct ConnectionSlot {
    enum Phase: UInt8 { case closed, connecting, writing, awaiting, idle }
    var phase: Phase = .closed
    var fd: Int32 = -1
    /// Inflates gzip bodies as they arrive to count decoded bytes (a browser decodes too).
    var parser = ResponseParser(decodesGzip: true)
    var request: [UInt8] = []
    var written = 0
    var route = 0
    var intended: UInt64 = 0
    var sentAt: UInt64 = 0
    var deadline = UInt64.max
    /// Requests completed on the current connection (a reused connection closed by the server is retried once).
    var servedOnConnection = 0
    var retried = false
    var wantsWrite = false
    /// Virtual user number (closed model) or connection number (open model), for `{{vu}}` and sessions.
    let user: Int
    /// Closed model: whether this user is active, and when it may send next.
    var active = false
    var readyAt = UInt64.max
    /// Open model: whether the slot is on the free stack.
    var free = false
    /// Undo routes: what this user has done and not undone yet (`RequestRenderer.pickKey`), and whether the
    /// request in flight is an undo.
    var done: Set<UInt64> = []
    var pickKey: UInt64 = 0
    var undoing = false

    init(user: Int) {
        self.user = user
        request.reserveCapacity(512)
    }
}

/// The event loop. A struct run by one thread (`run()` is mutating and never shared), so its state needs no locks
/// and Swift checks exclusivity statically.
struct LoadWorker {
    private let config: WorkerConfig
    private let poller: ClientPoller
    private var renderer: RequestRenderer
    private var slots: [ConnectionSlot] = []
    private var stats: WorkerStats
    /// Open model: the worker's share of the schedule (mutated in place; never copied, so nested calls agree).
    private var dispatcher: OpenDispatcher
    private let isOpen: Bool
    private var freeSlots: [Int] = []
    private var readBuffer: UnsafeMutableRawBufferPointer
    private var seenGeneration: UInt64 = .max
    private var seenChange = 0
    private var paused = false
    private var inFlight = 0
    private var openConnections = 0
    private var nextScan = UInt64.max            // closed model: earliest readyAt of a waiting user
    private var activeSlots = 0                  // closed model: users are a prefix of the slots (slot i = user i·lanes+lane)
    private var usedSlots = 0                    // slots that ever had a connection: the timeout scan's range
    private var lastFlush: UInt64 = 0
    private var lastWaitEnd: UInt64 = 0
    private var draining = false

    private static let flushInterval: UInt64 = 25_000_000       // hand stats to the collector every 25 ms
    private static let timeoutScanInterval: UInt64 = 5_000_000  // request timeouts are checked every 5 ms
    private static let longestWait: UInt64 = 25_000_000         // control changes are seen within 25 ms
    private static let readBufferSize = 64 * 1024

    init(config: WorkerConfig) throws(HTTPClientError) {
        self.config = config
        poller = try ClientPoller(capacity: 256)
        renderer = RequestRenderer(catalog: config.catalog, seed: config.seed, lane: config.lane, lanes: config.lanes)
        stats = WorkerStats(routeCount: config.catalog.routes.count)
        readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        switch config.model {
        case .open(let connections, let epoch):
            isOpen = true
            dispatcher = OpenDispatcher(epoch: epoch, lane: config.lane, lanes: config.lanes)
            for i in 0..<connections {
                var slot = ConnectionSlot(user: i * config.lanes + config.lane)
                slot.free = true
                slots.append(slot)
            }
            freeSlots = Array((0..<connections).reversed())
            usedSlots = connections
        case .closed(_, let maxUsers):
            isOpen = false
            dispatcher = OpenDispatcher(epoch: ScheduleEpoch(schedule: nil, origin: 0, startIndex: 0),
                                        lane: config.lane, lanes: config.lanes)
            // Slot i is user i·lanes + lane; capacity for every user this worker may ever run.
            let mine = (maxUsers - config.lane + config.lanes - 1) / config.lanes
            for i in 0..<max(0, mine) { slots.append(ConnectionSlot(user: i * config.lanes + config.lane)) }
        }
    }

    // MARK: - Loop

    mutating func run() {
        // Linux lets a thread's timed waits end up to 50 µs late by default (timer slack); sends would then leave
        // systematically late and inflate the corrected latency. 1 ns asks for on-time wake-ups.
        _ = dyno_set_timer_slack(1)
        var now = MonotonicClock.nanoseconds()
        lastFlush = now
        lastWaitEnd = now
        var nextTimeoutScan = now &+ Self.timeoutScanInterval
        var drainDeadline = UInt64.max
        while true {
            if config.control.generation.load(ordering: .acquiring) != seenGeneration { applyControl(now: now) }
            if !draining && config.control.stopRequested.load(ordering: .relaxed) {
                draining = true
                drainDeadline = now &+ config.drainNanos
            }
            if draining && (inFlight == 0 || now >= drainDeadline) { break }

            if !draining { dispatch(now: now) }
            if now >= nextTimeoutScan {
                expireTimeouts(now: now)
                nextTimeoutScan = now &+ Self.timeoutScanInterval
            }
            if now &- lastFlush >= Self.flushInterval { flush(now: now) }

            // Sleep until the next thing due: an arrival (if a connection is free), a user's ready time, a timeout
            // check (if anything is in flight), or the longest wait.
            var wakeAt = now &+ Self.longestWait
            if isOpen && !draining && !freeSlots.isEmpty, let t = dispatcher.nextIntendedTime { wakeAt = min(wakeAt, t) }
            if !draining && !paused { wakeAt = min(wakeAt, nextScan) }
            if inFlight > 0 { wakeAt = min(wakeAt, nextTimeoutScan) }
            let timeout = wakeAt > now ? Int64(wakeAt - now) : 0

            let waitStart = MonotonicClock.nanoseconds()
            stats.busyNanos &+= waitStart &- lastWaitEnd
            let count = poller.wait(timeoutNanoseconds: timeout)
            now = MonotonicClock.nanoseconds()
            lastWaitEnd = now
            for i in 0..<count {
                handle(slot: Int(poller.token(at: i)), events: poller.events(at: i))
            }
            if count > 0 { now = MonotonicClock.nanoseconds() }
        }
        // Requests still in flight after the drain are abandoned: neither completed nor failed.
        for i in slots.indices where slots[i].fd >= 0 { closeConnection(i) }
        flush(now: MonotonicClock.nanoseconds())
        config.mailbox.inFlight.store(0, ordering: .relaxed)
        config.mailbox.openConnections.store(0, ordering: .relaxed)
        readBuffer.deallocate()
        config.mailbox.finished.store(true, ordering: .releasing)
    }

    private mutating func applyControl(now: UInt64) {
        seenGeneration = config.control.generation.load(ordering: .acquiring)
        let state = config.control.read()
        let wasPaused = paused
        paused = state.paused
        if isOpen {
            // Apply every change not seen yet, in order (the dispatcher keeps the earliest switch time).
            let unseen = state.changes.filter { $0.number > seenChange }
            if let first = unseen.first, first.number > seenChange + 1, let epoch = state.epoch {
                // More changes than the history keeps happened since the last look: jump to the latest.
                dispatcher.change(to: epoch, at: state.switchAt)
            } else {
                for change in unseen { dispatcher.change(to: change.epoch, at: change.at) }
            }
            seenChange = state.changeCount
        }
        if case .closed = config.model {
            let previouslyActive = activeSlots
            activeSlots = slots.count
            while activeSlots > 0 && slots[activeSlots - 1].user >= state.users { activeSlots -= 1 }
            usedSlots = max(usedSlots, activeSlots)
            for i in 0..<max(previouslyActive, activeSlots) {
                let shouldBeActive = slots[i].user < state.users
                if shouldBeActive && !slots[i].active {
                    slots[i].active = true
                    slots[i].readyAt = now
                    nextScan = min(nextScan, now)
                } else if !shouldBeActive && slots[i].active {
                    slots[i].active = false
                    slots[i].readyAt = .max
                    // An idle user's connection goes now; a busy one's after its response.
                    if slots[i].phase == .idle { closeConnection(i) }
                }
            }
            if wasPaused && !paused {
                for i in 0..<activeSlots where slots[i].active && slots[i].readyAt != .max { slots[i].readyAt = now }
                nextScan = now
            }
        }
    }

    /// Starts every request that is due and has a connection.
    private mutating func dispatch(now: UInt64) {
        if isOpen {
            while !freeSlots.isEmpty, let intended = dispatcher.takeDue(now: now) {
                let slot = freeSlots.removeLast()
                slots[slot].free = false
                startRequest(slot, intended: intended, now: now)
            }
            if dispatcher.hasDue(now: now) {
                stats.connectionStarved &+= 1
                stats.maxQueued = max(stats.maxQueued, dispatcher.backlog(now: now))
            }
            stats.maxLagNanos = max(stats.maxLagNanos, dispatcher.lag(now: now))
        } else if now >= nextScan && !paused {
            var earliest = UInt64.max
            for i in 0..<activeSlots where slots[i].active && slots[i].readyAt != .max {
                if slots[i].readyAt <= now {
                    let intended = slots[i].readyAt
                    slots[i].readyAt = .max
                    startRequest(i, intended: intended, now: now)
                } else {
                    earliest = min(earliest, slots[i].readyAt)
                }
            }
            nextScan = earliest
        }
    }

    // MARK: - Requests

    private mutating func startRequest(_ slot: Int, intended: UInt64, now: UInt64) {
        let route = renderer.nextRoute()
        renderer.render(route: route, vu: slots[slot].user, session: slots[slot].user, into: &slots[slot].request)
        if config.catalog.routes[route].undoHead != nil {
            // A user undoes what it did before (unfavorite what it favorited) instead of repeating it.
            let key = renderer.pickKey(route: route)
            slots[slot].pickKey = key
            slots[slot].undoing = slots[slot].done.contains(key)
            if slots[slot].undoing {
                renderer.renderUndo(route: route, vu: slots[slot].user, session: slots[slot].user,
                                    into: &slots[slot].request)
            }
        }
        slots[slot].route = route
        slots[slot].intended = intended
        slots[slot].written = 0
        slots[slot].retried = false
        slots[slot].parser.reset(expectingNoBody: config.catalog.routes[route].expectsNoBody)
        stats.routes[route].sent &+= 1
        stats.dirty = true
        inFlight += 1
        if slots[slot].fd < 0 {
            connect(slot, now: now)
        } else {
            write(slot, now: now)
        }
    }

    private mutating func connect(_ slot: Int, now: UInt64) {
        switch ClientSocket.startConnect(to: config.address) {
        case .failed(let code):
            if code == EMFILE || code == ENFILE { stats.descriptorFailures &+= 1 }
            fail(slot, TransportErrorKind(ClientSocket.classify(errno: code)), now: now)
        case .started(let fd, let connected):
            slots[slot].fd = fd
            slots[slot].servedOnConnection = 0
            slots[slot].deadline = now &+ config.requestTimeoutNanos
            if connected {
                poller.add(fd, token: UInt64(slot), interest: ClientPoller.readable)
                openConnections += 1
                write(slot, now: now)
            } else {
                slots[slot].phase = .connecting
                slots[slot].wantsWrite = true
                poller.add(fd, token: UInt64(slot), interest: ClientPoller.writable)
            }
        }
    }

    private mutating func write(_ slot: Int, now: UInt64) {
        if slots[slot].written == 0 {
            slots[slot].sentAt = now
            slots[slot].deadline = now &+ config.requestTimeoutNanos
        }
        let fd = slots[slot].fd
        while slots[slot].written < slots[slot].request.count {
            let offset = slots[slot].written
            let n = slots[slot].request.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { slots[slot].written += n; continue }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                slots[slot].phase = .writing
                if !slots[slot].wantsWrite {
                    slots[slot].wantsWrite = true
                    poller.modify(fd, token: UInt64(slot), interest: ClientPoller.readable | ClientPoller.writable)
                }
                return
            }
            fail(slot, TransportErrorKind(ClientSocket.classify(errno: code)), now: now)
            return
        }
        slots[slot].phase = .awaiting
        if slots[slot].wantsWrite {
            slots[slot].wantsWrite = false
            poller.modify(fd, token: UInt64(slot), interest: ClientPoller.readable)
        }
    }

    // MARK: - Events

    private mutating func handle(slot: Int, events: UInt32) {
        switch slots[slot].phase {
        case .connecting:
            let code = ClientSocket.pendingError(slots[slot].fd)
            let now = MonotonicClock.nanoseconds()
            if code != 0 {
                fail(slot, TransportErrorKind(ClientSocket.classify(errno: code)), now: now)
                return
            }
            openConnections += 1
            slots[slot].phase = .writing
            write(slot, now: now)
        case .writing:
            if events & (ClientPoller.readable | ClientPoller.failure) != 0 && events & ClientPoller.writable == 0 {
                read(slot)   // the peer answered or closed before we finished writing
            } else {
                write(slot, now: MonotonicClock.nanoseconds())
            }
        case .awaiting, .idle:
            read(slot)
        case .closed:
            break
        }
    }

    private mutating func read(_ slot: Int) {
        let fd = slots[slot].fd
        while true {
            let n = recv(fd, readBuffer.baseAddress!, Self.readBufferSize, 0)
            if n > 0 {
                guard slots[slot].phase == .awaiting || slots[slot].phase == .writing else {
                    // Bytes nobody asked for on an idle connection: drop the connection.
                    closeConnection(slot)
                    return
                }
                let result: (consumed: Int, complete: Bool)
                do throws(ResponseParseError) {
                    result = try slots[slot].parser.parse(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
                } catch {
                    fail(slot, .badResponse, now: MonotonicClock.nanoseconds())
                    return
                }
                if result.complete {
                    if result.consumed < n {
                        // We never pipeline, so extra bytes mean a broken response stream.
                        fail(slot, .badResponse, now: MonotonicClock.nanoseconds())
                        return
                    }
                    complete(slot, now: MonotonicClock.nanoseconds())
                    return
                }
                if n < Self.readBufferSize { return }   // drained what epoll reported; wait for more
                continue
            }
            if n == 0 {
                endOfStream(slot)
                return
            }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return }
            if slots[slot].phase == .idle { closeConnection(slot); return }
            if retryOnFreshConnection(slot, now: MonotonicClock.nanoseconds()) { return }
            fail(slot, TransportErrorKind(ClientSocket.classify(errno: code)), now: MonotonicClock.nanoseconds())
            return
        }
    }

    private mutating func endOfStream(_ slot: Int) {
        let now = MonotonicClock.nanoseconds()
        if slots[slot].phase == .idle {
            closeConnection(slot)     // the server closed an idle keep-alive connection
            return
        }
        do throws(ResponseParseError) {
            if try slots[slot].parser.endOfStream() {
                complete(slot, now: now)
                return
            }
        } catch {
            fail(slot, .reset, now: now)
            return
        }
        if retryOnFreshConnection(slot, now: now) { return }
        fail(slot, .reset, now: now)
    }

    /// A reused keep-alive connection that the server closed before answering (its idle timeout raced our
    /// request) gets the request once more on a new connection, keeping its intended time.
    private mutating func retryOnFreshConnection(_ slot: Int, now: UInt64) -> Bool {
        guard slots[slot].servedOnConnection > 0, !slots[slot].retried, slots[slot].parser.isIdle else { return false }
        closeConnection(slot)
        slots[slot].retried = true
        slots[slot].written = 0
        connect(slot, now: now)
        return true
    }

    private mutating func complete(_ slot: Int, now: UInt64) {
        let route = slots[slot].route
        let status = slots[slot].parser.status
        let unexpected = config.catalog.routes[route].isUnexpectedError(status)
        stats.routes[route].recordResponse(
            status: status,
            correctedNanos: now &- min(now, slots[slot].intended),
            serviceNanos: now &- min(now, slots[slot].sentAt),
            bytes: slots[slot].parser.wireBytes,
            decodedBytes: slots[slot].parser.contentBytes,
            unexpected: unexpected)
        if !unexpected && config.catalog.routes[route].undoHead != nil {
            // The server now holds what this request asked for (done, or undone).
            if slots[slot].undoing { slots[slot].done.remove(slots[slot].pickKey) } else { slots[slot].done.insert(slots[slot].pickKey) }
        }
        stats.dirty = true
        inFlight -= 1
        slots[slot].servedOnConnection += 1
        slots[slot].deadline = .max
        if !slots[slot].parser.keepAlive || slots[slot].written < slots[slot].request.count {
            // Closed by the server, or answered before we finished writing (the rest of our request would be
            // read as a new one): this connection cannot be reused.
            closeConnection(slot)
        } else {
            slots[slot].phase = .idle
        }
        finished(slot, now: now, afterError: false)
    }

    private mutating func fail(_ slot: Int, _ kind: TransportErrorKind, now: UInt64) {
        stats.routes[slots[slot].route].recordTransportError(kind)
        stats.dirty = true
        inFlight -= 1
        closeConnection(slot)
        finished(slot, now: now, afterError: true)
    }

    /// The slot's request is over: give the connection its next request, or return it to the pool.
    private mutating func finished(_ slot: Int, now: UInt64, afterError: Bool) {
        if isOpen {
            // After an error the slot goes back to the pool instead of starting the next request here: a target
            // that refuses at once would otherwise recurse through fail → finished → start for every due arrival.
            if !afterError && !draining, let intended = dispatcher.takeDue(now: now) {
                startRequest(slot, intended: intended, now: now)
            } else {
                slots[slot].free = true
                freeSlots.append(slot)
            }
            return
        }
        guard slots[slot].active else {
            if slots[slot].fd >= 0 { closeConnection(slot) }
            return
        }
        if case .closed(let think, _) = config.model {
            let ready = now &+ (afterError ? max(think, config.errorBackoffNanos) : think)
            if ready <= now && !paused && !draining {
                startRequest(slot, intended: now, now: now)     // think time 0: straight on, like wrk
            } else {
                slots[slot].readyAt = ready
                nextScan = min(nextScan, ready)
            }
        }
    }

    private mutating func closeConnection(_ slot: Int) {
        let fd = slots[slot].fd
        guard fd >= 0 else { return }
        if slots[slot].phase != .connecting { openConnections -= 1 }
        close(fd)   // also removes it from the epoll set
        slots[slot].fd = -1
        slots[slot].phase = .closed
        slots[slot].wantsWrite = false
        slots[slot].deadline = .max
    }

    private mutating func expireTimeouts(now: UInt64) {
        for i in 0..<usedSlots where slots[i].deadline <= now {
            let phase = slots[i].phase
            if phase == .connecting || phase == .writing || phase == .awaiting {
                fail(i, .timeout, now: now)
            } else {
                slots[i].deadline = .max
            }
        }
    }

    private mutating func flush(now: UInt64) {
        stats.elapsedNanos &+= now &- lastFlush
        lastFlush = now
        config.mailbox.inFlight.store(inFlight, ordering: .relaxed)
        config.mailbox.openConnections.store(openConnections, ordering: .relaxed)
        config.mailbox.deliver(&stats)
    }
}

extension TransportErrorKind {
    init(_ kind: ClientErrorKind) {
        switch kind {
        case .refused: self = .refused
        case .reset: self = .reset
        case .timeout: self = .timeout
        case .badResponse: self = .badResponse
        case .other: self = .other
        }
    }
}
