// One serving thread: an epoll loop that accepts, reads, parses, calls the handler and writes.
import Glibc
import Synchronization

/// What a serving loop shares with the `HTTPServer` that owns it (all thread-safe).
final class ServerLoopHandle: Sendable {
    let mailbox: ServerLoopMailbox
    let counters: ServerLoopCounters
    let stopRequested = Atomic<Bool>(false)

    init(mailbox: ServerLoopMailbox, counters: ServerLoopCounters) {
        self.mailbox = mailbox
        self.counters = counters
    }

    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        mailbox.wake()
    }
}

/// A serving loop. Created and run on its own thread; nothing else touches its state (other threads reach
/// it only through `ServerLoopHandle`: the mailbox and the stop flag).
///
/// Accepting: all loops share ONE listening socket, each registering it with `EPOLLEXCLUSIVE`, so the kernel
/// wakes one waiting loop per incoming connection. We prefer this over one `SO_REUSEPORT` listener per loop
/// because (1) connections go to a loop that is actually waiting in epoll (idle), instead of being hashed
/// onto a loop that may be busy, and (2) binding port 0 several times with SO_REUSEPORT can hand two servers
/// in one process (parallel tests) the same port; one socket avoids both.
final class ServerEventLoop {
    private let epollFD: Int32
    private let listenFD: Int32
    private let handle: ServerLoopHandle
    private let handler: HTTPHandler
    private let maxHeaderBytes: Int
    private let maxBodyBytes: Int
    private let maxPipelined: Int
    private let maxOutputBytes: Int
    private let idleTimeout: UInt64
    private let headerReadTimeout: UInt64
    private let bodyReadTimeout: UInt64
    private let gracePeriod: UInt64
    private let sweepInterval: UInt64
    private let errorSink: @Sendable (String) -> Void
    private let wallClockSeconds: @Sendable () -> Int
    /// The `Date` header line, refreshed once per loop iteration (re-formatted once per second).
    private var dateLine: ServerDateLine
    /// `epoll_wait` failures in a row (other than EINTR); see `survivesWaitFailure`.
    private var waitFailures = 0
    private static let maxWaitFailures = 50

    /// Connections indexed by file descriptor (descriptors are small and dense).
    private var connections: [ServerConnection?] = []
    private var connectionCount = 0
    private var nextConnectionID: UInt64 = 1
    /// Time at the start of the current loop iteration (one clock read per batch of events).
    private var now: UInt64
    private var nextSweep: UInt64
    private var listening = false
    private var acceptPausedUntil: UInt64 = 0
    private var stopping = false
    private var stopDeadline: UInt64 = 0
    /// Reused buffers: drained completions, connections with output to send.
    private var completions: [ServerCompletion] = []
    private var dirty: [ServerConnection] = []

    /// One read buffer for all connections of the loop: a request that arrives whole is parsed straight
    /// from here and never copied into a per-connection buffer.
    private let readBuffer: UnsafeMutableRawBufferPointer
    private let eventBuffer: UnsafeMutableRawBufferPointer
    private static let readBufferSize = 64 * 1024
    private static let maxEvents = 256
    /// Reads per readable event before serving other connections (fairness).
    private static let maxReadsPerEvent = 4
    private static let acceptsPerEvent = 64
    /// How long a closing connection may keep sending before we close for good (see `close(_:)`).
    private static let lingerTime: UInt64 = 2_000_000_000
    private static let lingerMaxReads = 16

    init(epollFD: Int32, listenFD: Int32, handle: ServerLoopHandle, configuration: HTTPServerConfiguration,
         handler: @escaping HTTPHandler) {
        self.epollFD = epollFD
        self.listenFD = listenFD
        self.handle = handle
        self.handler = handler
        maxHeaderBytes = configuration.maxHeaderBytes
        maxBodyBytes = configuration.maxBodyBytes
        maxPipelined = max(1, configuration.maxPipelinedRequests)
        maxOutputBytes = max(1, configuration.maxOutputBufferBytes)
        idleTimeout = Self.nanoseconds(configuration.idleTimeout)
        headerReadTimeout = Self.nanoseconds(configuration.headerReadTimeout)
        bodyReadTimeout = Self.nanoseconds(configuration.bodyReadTimeout)
        gracePeriod = Self.nanoseconds(configuration.shutdownGracePeriod)
        errorSink = configuration.errorSink
        wallClockSeconds = configuration.wallClockSeconds
        dateLine = ServerDateLine(epochSeconds: configuration.wallClockSeconds())
        // Check timeouts a few times per shortest timeout, but not more than every 5 ms or less than 1 s.
        sweepInterval = min(max(min(idleTimeout, headerReadTimeout, bodyReadTimeout) / 4, 5_000_000), 1_000_000_000)
        readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        eventBuffer = .allocate(byteCount: Self.maxEvents * ServerSys.eventStride, alignment: 16)
        now = ServerSys.nowNanoseconds()
        nextSweep = now &+ sweepInterval
    }

    deinit {
        readBuffer.deallocate()
        eventBuffer.deallocate()
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }

    // MARK: - Loop

    /// Runs until the server asks it to stop and in-flight work is done (or the grace period ends).
    func run() {
        handle.mailbox.bindToCurrentThread()
        ServerSys.epollAdd(epollFD, fd: handle.mailbox.eventFD, events: ServerSys.epollIn)
        startListening()
        let counters = handle.counters
        while true {
            var wakeAt = nextSweep
            if stopping { wakeAt = min(wakeAt, stopDeadline) }
            let waitMilliseconds = wakeAt > now ? Int32(min((wakeAt - now) / 1_000_000 + 1, 1_000)) : 0
            let count = ServerSys.epollWait(epollFD, buffer: eventBuffer, capacity: Self.maxEvents,
                                            timeoutMilliseconds: waitMilliseconds)
            let started = ServerSys.nowNanoseconds()
            now = started
            dateLine.refresh(epochSeconds: wallClockSeconds())
            if count < 0 && errno != EINTR {
                if !survivesWaitFailure(errno) { break }
            } else {
                waitFailures = 0
            }
            for index in 0..<max(0, Int(count)) {
                let event = ServerSys.event(at: index, in: eventBuffer)
                handleEvent(event.events, fd: event.fd)
            }
            deliverCompletions()
            if !stopping && handle.stopRequested.load(ordering: .acquiring) {
                beginStop()
            }
            if now >= nextSweep {
                sweep()
                nextSweep = now &+ sweepInterval
            }
            counters.busyNanoseconds.store(
                counters.busyNanoseconds.load(ordering: .relaxed) &+ (ServerSys.nowNanoseconds() &- started),
                ordering: .relaxed)
            if stopping && (connectionCount == 0 || now >= stopDeadline) { break }
        }
        for connection in connections {
            if let connection { finalClose(connection) }
        }
        handle.mailbox.close()
        Glibc.close(epollFD)
    }

    /// `epoll_wait` failing with anything but EINTR (EBADF, EFAULT, EINVAL) means a broken descriptor or a bug,
    /// not a reason to take the whole process down: report it, pause 10 ms so a persistent failure does not spin
    /// a core, and retry. After `maxWaitFailures` in a row this loop stops (closing its connections); the other
    /// loops share the listening socket and keep serving.
    private func survivesWaitFailure(_ code: Int32) -> Bool {
        waitFailures += 1
        errorSink("HTTP server: epoll_wait failed: \(String(cString: strerror(code))) (errno \(code)), "
                  + "failure \(waitFailures) of \(Self.maxWaitFailures) in a row")
        guard waitFailures < Self.maxWaitFailures else {
            errorSink("HTTP server: a serving loop stopped after \(waitFailures) failed epoll_wait calls; the others keep serving")
            return false
        }
        usleep(10_000)
        return true
    }

    private func handleEvent(_ events: UInt32, fd: Int32) {
        if fd == listenFD {
            acceptConnections()
            return
        }
        if fd == handle.mailbox.eventFD {
            var value: UInt64 = 0
            _ = withUnsafeMutableBytes(of: &value) { read(fd, $0.baseAddress, 8) }
            return  // completions are drained after the batch of events
        }
        guard let connection = connection(fd) else { return }
        if connection.lingering {
            drainLingering(connection)
            return
        }
        let readable = events & ServerSys.epollIn != 0
        if events & (ServerSys.epollErr | ServerSys.epollHup) != 0 && !readable {
            finalClose(connection)  // reset or fully closed by the peer: nothing can be delivered
            return
        }
        if events & ServerSys.epollOut != 0 {
            guard flush(connection) else { return }
            // The client read some output: a pipeline stalled on the output limit may go on (in
            // `deliverCompletions`, which the loop calls after this batch of events).
            if connection.pipelineStalled && canParse(connection) { markDirty(connection) }
        }
        if readable || events & ServerSys.epollHup != 0 {
            readAndProcess(connection)
            // Handlers that answered synchronously have queued responses: send them in one write now.
            deliverCompletions()
        }
    }

    private func connection(_ fd: Int32) -> ServerConnection? {
        fd >= 0 && Int(fd) < connections.count ? connections[Int(fd)] : nil
    }

    // MARK: - Accepting

    private func startListening() {
        guard !listening else { return }
        ServerSys.epollAdd(epollFD, fd: listenFD, events: ServerSys.epollIn | ServerSys.epollExclusive)
        listening = true
    }

    private func acceptConnections() {
        guard listening else { return }
        let counters = handle.counters
        for _ in 0..<Self.acceptsPerEvent {
            let fd = ServerSys.accept(listenFD)
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors or memory: stop polling the listener for a moment instead of
                    // spinning on a level-triggered event we cannot clear.
                    ServerSys.epollDelete(epollFD, fd: listenFD)
                    listening = false
                    acceptPausedUntil = now &+ 100_000_000
                    return
                default:
                    return  // EAGAIN: no more pending connections
                }
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let connection = ServerConnection(
                fd: fd, id: nextConnectionID,
                parser: ServerRequestParser(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes),
                now: now, interest: ServerSys.epollIn)
            nextConnectionID &+= 1
            if Int(fd) >= connections.count {
                connections.append(contentsOf: repeatElement(nil, count: max(Int(fd) + 1, connections.count * 2)
                                                                        - connections.count))
            }
            connections[Int(fd)] = connection
            connectionCount += 1
            ServerSys.epollAdd(epollFD, fd: fd, events: ServerSys.epollIn)
            counters.bump(counters.acceptedConnections)
            counters.bump(counters.openConnections)
        }
    }

    // MARK: - Reading and parsing

    private func readAndProcess(_ connection: ServerConnection) {
        for _ in 0..<Self.maxReadsPerEvent {
            let count = recv(connection.fd, readBuffer.baseAddress, Self.readBufferSize, 0)
            if count > 0 {
                connection.lastActivity = now
                processInput(connection, UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                if count < Self.readBufferSize || !wantsRead(connection) { break }
                continue
            }
            if count == 0 {
                peerClosed(connection)
                return
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { break }
            finalClose(connection)
            return
        }
        updateInterest(connection)
    }

    private func wantsRead(_ connection: ServerConnection) -> Bool {
        !connection.readClosed && !connection.peerEOF && !connection.pipelineStalled && !connection.writeBlocked
    }

    /// Whether another request of this connection may be parsed and handed to the handler: fewer than
    /// `maxPipelined` in flight and less than `maxOutputBytes` of responses waiting for the client.
    private func canParse(_ connection: ServerConnection) -> Bool {
        connection.inFlight < maxPipelined && connection.unsentBytes < maxOutputBytes
    }

    private func peerClosed(_ connection: ServerConnection) {
        connection.peerEOF = true
        connection.awaitingHead = false
        connection.awaitingBody = false
        // Requests still waiting behind a full pipeline will be parsed when it drains; otherwise whatever is
        // buffered is an incomplete request that can never finish.
        if !connection.pipelineStalled {
            connection.readClosed = true
        }
        if !closeIfFinished(connection) {
            updateInterest(connection)
        }
    }

    private func processInput(_ connection: ServerConnection, _ bytes: UnsafeRawBufferPointer) {
        if connection.readClosed { return }  // after Connection: close or an error: discard
        if connection.pending.isEmpty {
            let consumed = parseRequests(connection, bytes)
            if consumed < bytes.count && !connection.readClosed {
                connection.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            }
        } else {
            connection.pending.append(contentsOf: bytes)
            processPending(connection)
        }
    }

    private func processPending(_ connection: ServerConnection) {
        let consumed = connection.pending.withUnsafeBytes { parseRequests(connection, $0) }
        if connection.readClosed {
            connection.pending = []
        } else if consumed > 0 {
            connection.pending.removeFirst(consumed)
        }
    }

    /// Parses and dispatches as many requests from `bytes` as allowed; returns the bytes consumed.
    private func parseRequests(_ connection: ServerConnection, _ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while !connection.readClosed {
            if offset == bytes.count {
                connection.awaitingHead = false
                return offset
            }
            if !canParse(connection) {
                connection.pipelineStalled = true
                if connection.unsentBytes >= maxOutputBytes { setBackPressured(connection, true) }
                return offset
            }
            switch connection.parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
            case .request(let request, let consumed):
                offset += consumed
                connection.awaitingHead = false
                connection.awaitingBody = false
                dispatch(request, on: connection)
            case .needMore:
                let inHead = connection.parser.isReadingHead
                if inHead && !connection.awaitingHead { connection.headStartedAt = now }
                connection.awaitingHead = inHead
                if !inHead && !connection.awaitingBody { connection.bodyStartedAt = now }
                connection.awaitingBody = !inHead
                if connection.parser.wantsContinue {
                    connection.parser.wantsContinue = false
                    // Only when every earlier response is out, so the interim response stays in order.
                    if connection.inFlight == 0 {
                        ServerResponseEncoder.appendContinue(to: &connection.output)
                        markDirty(connection)
                    }
                }
                return offset
            case .error(let status, let reason):
                connection.awaitingHead = false
                connection.awaitingBody = false
                rejectRequest(on: connection, status: status, reason: reason)
                return bytes.count
            }
        }
        // Stopped reading after a `Connection: close` request: anything after it is unread client data.
        if offset < bytes.count { connection.lingerOnClose = true }
        return offset
    }

    private func dispatch(_ request: HTTPRequest, on connection: ServerConnection) {
        let sequence = connection.nextSequence
        connection.nextSequence &+= 1
        if !request.keepAlive { connection.readClosed = true }
        let address = ServerCompletionAddress(
            fd: connection.fd, connectionID: connection.id, sequence: sequence, keepAlive: request.keepAlive,
            isHead: request.method == "HEAD", http10: connection.parser.lastRequestIsHTTP10)
        handler(request, HTTPResponder(mailbox: handle.mailbox, address: address))
    }

    /// Queues an error response (in order after earlier requests) and stops reading the connection.
    private func rejectRequest(on connection: ServerConnection, status: Int, reason: String) {
        connection.readClosed = true
        connection.lingerOnClose = true
        handle.counters.bump(handle.counters.protocolErrors)
        let sequence = connection.nextSequence
        connection.nextSequence &+= 1
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        let body = Array("\(status) \(HTTPResponse.reasonPhrase(status)): \(reason)\n".utf8)
        let address = ServerCompletionAddress(
            fd: connection.fd, connectionID: connection.id, sequence: sequence, keepAlive: false,
            isHead: false, http10: false, isProtocolError: true)
        handle.mailbox.post(ServerCompletion(address: address,
                                             response: HTTPResponse(status: status, headers: headers, body: body)))
    }

    // MARK: - Completing and writing

    /// Drains the mailbox into connection output buffers, then sends. Repeats while sending lets stalled
    /// pipelines parse more requests whose handlers answer synchronously.
    private func deliverCompletions() {
        while true {
            // Synchronous handlers on a fast reader can keep this loop going; a stop must still get in.
            if !stopping && handle.stopRequested.load(ordering: .acquiring) { beginStop() }
            handle.mailbox.drain(into: &completions)
            if completions.isEmpty && dirty.isEmpty { return }
            for completion in completions { deliver(completion) }
            completions.removeAll(keepingCapacity: true)
            flushDirty()
        }
    }

    private func deliver(_ completion: ServerCompletion) {
        let address = completion.address
        if let piece = completion.piece { return deliverPiece(piece, for: address) }
        guard let connection = connection(address.fd), connection.id == address.connectionID else {
            // The client left: its work is dropped here, never encoded.
            handle.counters.bump(handle.counters.droppedResponses)
            return
        }
        if address.sequence == connection.nextToWrite && connection.stream == nil {
            encode(completion, on: connection)
            encodeWaiting(on: connection)
            markDirty(connection)
            pumpStream(connection)
        } else if address.sequence > connection.nextToWrite && address.sequence < connection.nextSequence
                    && !connection.outOfOrder.contains(where: { $0.address.sequence == address.sequence }) {
            connection.outOfOrder.append(completion)
        }
        // Otherwise a second respond() for the same request: ignored.
    }

    /// Encodes the completions that waited for the one just encoded, in order, until a streamed one starts.
    private func encodeWaiting(on connection: ServerConnection) {
        while connection.stream == nil, !connection.outOfOrder.isEmpty,
              let index = connection.outOfOrder.firstIndex(where: { $0.address.sequence == connection.nextToWrite }) {
            encode(connection.outOfOrder.remove(at: index), on: connection)
        }
    }

    private func encode(_ completion: ServerCompletion, on connection: ServerConnection) {
        connection.nextToWrite &+= 1
        let address = completion.address
        let status = completion.response.status
        // A stream is sent only as the body of a response that has one (not HEAD, 204, 304, 1xx).
        let stream = completion.response.stream
        let streams = stream != nil && !address.isHead && address.resetAfterBytes == nil
            && status >= 200 && status != 204 && status != 304
        if let stream, !streams || connection.closeAfterFlush { stream.cancel() }
        if connection.closeAfterFlush { return }  // an earlier response closed the connection
        let isLast = connection.nextToWrite == connection.nextSequence
        let close = !address.keepAlive || address.isProtocolError
            || (connection.readClosed && isLast)
            || completion.response.headers.containsToken("close", in: "Connection")
            || (streams && address.http10)  // an HTTP/1.0 client reads a streamed body until the connection closes
        let start = connection.output.count
        ServerResponseEncoder.encode(completion.response, into: &connection.output, omitBody: address.isHead,
                                     close: close, keepAliveHeader: address.http10 && !close,
                                     framing: stream == nil ? .contentLength : address.http10 ? .untilClose : .chunked,
                                     dateLine: dateLine.bytes)
        handle.counters.bump(handle.counters.requestsServed)
        if let stream, streams {
            // The response stays in flight (later ones wait) until its stream ends; see `deliverPiece`.
            connection.nextToWrite &-= 1
            connection.stream = ServerStream(body: stream, address: address, chunked: !address.http10, closeAtEnd: close)
            return
        }
        if let keep = address.resetAfterBytes {
            // Injected fault: cut the response short and reset the connection once the cut bytes are out.
            connection.output.removeLast(max(0, connection.output.count - start - keep))
            connection.resetOnClose = true
            connection.closeAfterFlush = true
            connection.readClosed = true
            return
        }
        if close {
            connection.closeAfterFlush = true
            connection.readClosed = true
        }
    }

    // MARK: - Streamed bodies

    /// Asks the connection's stream for its next piece when none is pending and the unsent output is under the
    /// limit: a client that does not read stops the producer (back-pressure), memory holds at most the limit plus
    /// one piece.
    private func pumpStream(_ connection: ServerConnection) {
        guard let stream = connection.stream, !stream.awaitingPiece else { return }
        // Paused on a client that does not read: counted like a stalled pipeline.
        setBackPressured(connection, connection.unsentBytes >= maxOutputBytes)
        guard connection.unsentBytes < maxOutputBytes else { return }
        stream.awaitingPiece = true
        let mailbox = handle.mailbox, address = stream.address
        stream.body.next { piece in
            mailbox.post(ServerCompletion(address: address, response: HTTPResponse(status: 200), piece: piece))
        }
    }

    private func deliverPiece(_ piece: HTTPBodyPiece, for address: ServerCompletionAddress) {
        // The connection went away meanwhile: its stream was cancelled in `finalClose`.
        guard let connection = connection(address.fd), connection.id == address.connectionID,
              let stream = connection.stream, stream.address.sequence == address.sequence else { return }
        stream.awaitingPiece = false
        switch piece {
        case .bytes(let bytes):
            guard !bytes.isEmpty else { return pumpStream(connection) }
            // Drop what was sent already, so a long stream to a client that keeps up does not grow the buffer.
            if connection.outputOffset > 0 {
                connection.output.removeSubrange(0..<connection.outputOffset)
                connection.outputOffset = 0
            }
            if stream.chunked {
                ServerResponseEncoder.appendChunk(bytes, to: &connection.output)
            } else {
                connection.output.append(contentsOf: bytes)
            }
            handle.counters.raise(handle.counters.peakStreamUnsentBytes, to: connection.unsentBytes)
            markDirty(connection)
            pumpStream(connection)
        case .end:
            if stream.chunked { ServerResponseEncoder.appendLastChunk(to: &connection.output) }
            finishStream(connection, close: stream.closeAtEnd)
        case .abort:
            // No last chunk: closing makes the client see a truncated body, not a complete-looking wrong one.
            finishStream(connection, close: true)
        }
    }

    private func finishStream(_ connection: ServerConnection, close: Bool) {
        connection.stream = nil
        setBackPressured(connection, false)
        connection.nextToWrite &+= 1
        if close {
            connection.closeAfterFlush = true
            connection.readClosed = true
        }
        encodeWaiting(on: connection)
        markDirty(connection)
        pumpStream(connection)
    }

    /// Counts connections paused because their client does not read (for `HTTPServerStats`).
    private func setBackPressured(_ connection: ServerConnection, _ paused: Bool) {
        guard connection.backPressured != paused else { return }
        connection.backPressured = paused
        handle.counters.bump(handle.counters.backPressuredConnections, by: paused ? 1 : -1)
    }

    private func markDirty(_ connection: ServerConnection) {
        if !connection.isDirty {
            connection.isDirty = true
            dirty.append(connection)
        }
    }

    private func flushDirty() {
        var index = 0
        // `dirty` can grow while we iterate (a resumed pipeline answers synchronously).
        while index < dirty.count {
            let connection = dirty[index]
            index += 1
            connection.isDirty = false
            guard connections[Int(connection.fd)] === connection, !connection.lingering else { continue }
            guard connection.writeBlocked || flush(connection) else { continue }
            guard connection.pipelineStalled else { continue }
            if canParse(connection) {
                connection.pipelineStalled = false
                setBackPressured(connection, false)
                processPending(connection)
                if connection.peerEOF && !connection.pipelineStalled { connection.readClosed = true }
                if !closeIfFinished(connection) { updateInterest(connection) }
            } else {
                // Still stalled: by the pipeline depth (normal flow) or by a client that does not read.
                setBackPressured(connection, connection.unsentBytes >= maxOutputBytes)
            }
        }
        dirty.removeAll(keepingCapacity: true)
    }

    /// Sends buffered output; returns false if the connection was closed.
    private func flush(_ connection: ServerConnection) -> Bool {
        while connection.outputOffset < connection.output.count {
            let sent = connection.output.withUnsafeBytes { raw in
                send(connection.fd, raw.baseAddress! + connection.outputOffset, raw.count - connection.outputOffset,
                     Int32(MSG_NOSIGNAL))
            }
            if sent >= 0 {
                connection.outputOffset += sent
                connection.lastActivity = now
                continue
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK {
                connection.writeBlocked = true
                updateInterest(connection)
                pumpStream(connection)
                return true
            }
            finalClose(connection)
            return false
        }
        // Keep the buffer's capacity for the next responses, unless one huge response inflated it.
        if connection.output.capacity > 256 * 1024 {
            connection.output = []
        } else {
            connection.output.removeAll(keepingCapacity: true)
        }
        connection.outputOffset = 0
        connection.writeBlocked = false
        if closeIfFinished(connection) { return false }
        // Output drained after EPOLLOUT: a pipeline that stalled meanwhile resumes in `flushDirty`.
        if connection.pipelineStalled && canParse(connection) { markDirty(connection) }
        updateInterest(connection)
        pumpStream(connection)
        return true
    }

    private func updateInterest(_ connection: ServerConnection) {
        var wanted: UInt32 = 0
        if connection.lingering {
            wanted = ServerSys.epollIn
        } else if connection.writeBlocked {
            wanted = ServerSys.epollOut
        } else if wantsRead(connection) {
            wanted = ServerSys.epollIn
        }
        if wanted != connection.interest {
            ServerSys.epollModify(epollFD, fd: connection.fd, events: wanted)
            connection.interest = wanted
        }
    }

    // MARK: - Closing

    /// Closes the connection if no more requests will be read and everything has been answered and sent.
    @discardableResult
    private func closeIfFinished(_ connection: ServerConnection) -> Bool {
        guard connection.readClosed, connection.inFlight == 0, !connection.hasUnsentOutput else { return false }
        close(connection)
        return true
    }

    /// Closes after the last response. When the peer may still be sending (after an error, or with unread
    /// pipelined bytes), closing outright would make the kernel send RST, which can destroy the response
    /// before the client reads it; so we shut down our side and discard input until EOF or a deadline.
    private func close(_ connection: ServerConnection) {
        if connection.resetOnClose {
            // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            var option = linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection.fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
            finalClose(connection)
            return
        }
        guard connection.lingerOnClose && !connection.peerEOF && !stopping else {
            finalClose(connection)
            return
        }
        shutdown(connection.fd, Int32(SHUT_WR))
        connection.lingering = true
        connection.lingerDeadline = now &+ Self.lingerTime
        connection.pending = []
        connection.output = []
        updateInterest(connection)
    }

    private func drainLingering(_ connection: ServerConnection) {
        for _ in 0..<Self.lingerMaxReads {
            let count = recv(connection.fd, readBuffer.baseAddress, Self.readBufferSize, 0)
            if count > 0 { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            if count < 0 && errno == EINTR { continue }
            break  // EOF or error
        }
        finalClose(connection)
    }

    private func finalClose(_ connection: ServerConnection) {
        guard connections[Int(connection.fd)] === connection else { return }
        if let stream = connection.stream {
            connection.stream = nil
            stream.body.cancel()
        }
        setBackPressured(connection, false)
        connections[Int(connection.fd)] = nil
        connectionCount -= 1
        Glibc.close(connection.fd)  // also removes it from the epoll set
        handle.counters.bump(handle.counters.openConnections, by: -1)
    }

    // MARK: - Timeouts and stopping

    private func sweep() {
        if !listening && !stopping && now >= acceptPausedUntil { startListening() }
        for case let connection? in connections {
            if connection.lingering {
                if now >= connection.lingerDeadline { finalClose(connection) }
                continue
            }
            if connection.awaitingHead && !connection.readClosed
                && now &- connection.headStartedAt >= headerReadTimeout {
                // Slowloris: a request started but its headers did not arrive in time.
                connection.awaitingHead = false
                rejectRequest(on: connection, status: 408, reason: "request headers not received in time")
                continue
            }
            if connection.awaitingBody && !connection.readClosed
                && now &- connection.bodyStartedAt >= bodyReadTimeout {
                // Slow body: trickled bytes keep resetting the idle timer, so the body has its own deadline.
                connection.awaitingBody = false
                rejectRequest(on: connection, status: 408, reason: "request body not received in time")
                continue
            }
            guard now &- connection.lastActivity >= idleTimeout else { continue }
            if connection.writeBlocked {
                finalClose(connection)  // the peer stopped reading
            } else if connection.inFlight == 0 && !connection.hasUnsentOutput {
                if connection.pending.isEmpty || connection.readClosed {
                    finalClose(connection)  // idle keep-alive connection
                } else {
                    rejectRequest(on: connection, status: 408, reason: "request body not received in time")
                }
            }
        }
        deliverCompletions()
    }

    private func beginStop() {
        stopping = true
        stopDeadline = now &+ gracePeriod
        if listening {
            ServerSys.epollDelete(epollFD, fd: listenFD)
            listening = false
        }
        for case let connection? in connections {
            connection.readClosed = true
            connection.awaitingHead = false
            connection.awaitingBody = false
            if connection.lingering || (connection.inFlight == 0 && !connection.hasUnsentOutput) {
                finalClose(connection)
            } else {
                updateInterest(connection)
            }
        }
    }
}
