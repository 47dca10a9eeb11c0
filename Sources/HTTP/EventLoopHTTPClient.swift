// A non-blocking HTTP/1.1 client on one epoll thread: callers start exchanges and get a callback when they end.
import CLinuxShim
import Glibc
import Synchronization

/// Runs HTTP/1.1 exchanges on its own event-loop thread, so no caller's thread waits for an answer.
///
/// `send` returns at once; the completion runs later on the loop thread, exactly once, with the response or an
/// `HTTPClientError` (`.refused`, `.reset`, `.timeout`, `.badResponse`, `.other`). Any number of exchanges can be
/// in flight: a waiting exchange is only a socket in the epoll set and a small record, never a thread.
/// Each exchange uses its own connection (`Connection: close`), which keeps a misbehaving server's half-written
/// answer from poisoning the next call.
///
/// Completions run on the loop thread: keep them short (hand heavy work to another thread).
public final class EventLoopHTTPClient: Sendable {
    public typealias Completion = @Sendable (Result<HTTPResponse, HTTPClientError>) -> Void

    struct Submission: Sendable {
        var bytes: [UInt8]
        var address: ClientAddress
        var expectingNoBody: Bool
        var timeoutNanoseconds: UInt64?
        var completion: Completion
    }

    /// What callers and the loop thread share: the inbox of new exchanges, the wake-up eventfd, a counter.
    final class Shared: Sendable {
        let wakeFD: Int32
        let inbox = Mutex<(items: [Submission], stopping: Bool)>(([], false))
        let inFlight = Atomic<Int>(0)
        init(wakeFD: Int32) { self.wakeFD = wakeFD }
        deinit { close(wakeFD) }

        func wake() {
            var one: UInt64 = 1
            _ = withUnsafeBytes(of: &one) { write(wakeFD, $0.baseAddress, 8) }
        }
    }

    private let shared: Shared
    private let thread: Mutex<pthread_t?> = Mutex(nil)

    /// Starts the loop thread.
    public init() throws(HTTPClientError) {
        let wakeFD = dyno_eventfd()
        guard wakeFD >= 0 else { throw HTTPClientError(.other, "eventfd failed: \(ClientSocket.describe(errno: errno))") }
        shared = Shared(wakeFD: wakeFD)
        let poller = try ClientPoller()
        guard poller.add(wakeFD, token: 0, interest: ClientPoller.readable) else {
            throw HTTPClientError(.other, "epoll_ctl failed: \(ClientSocket.describe(errno: errno))")
        }
        let box = UncheckedLoop(ClientLoop(poller: poller, shared: shared))
        do {
            let id = try ServerThread.spawn { box.loop.run() }
            thread.withLock { $0 = id }
        } catch {
            throw HTTPClientError(.other, "could not start the client loop thread: \(error)")
        }
    }

    deinit {
        shutdown()
    }

    /// Exchanges started and not yet completed.
    public var inFlight: Int { shared.inFlight.load(ordering: .relaxed) }

    /// Starts sending `request` to `host:port`; `completion` runs on the loop thread when the exchange ends.
    /// - Parameter timeout: the whole exchange's limit; nil waits as long as the server takes.
    public func send(_ request: HTTPRequest, host: String, port: Int, timeout: Duration?,
                     completion: @escaping Completion) {
        let address: ClientAddress
        do {
            address = try ClientSocket.resolve(host: host, port: port)
        } catch {
            completion(.failure(error))
            return
        }
        var outgoing = request
        outgoing.headers.replaceOrAdd(name: "Connection", value: "close")
        let submission = Submission(bytes: HTTPClient.serialize(outgoing, host: host, port: port), address: address,
                                    expectingNoBody: request.method == "HEAD",
                                    timeoutNanoseconds: timeout.map(ServerEventLoop.nanoseconds),
                                    completion: completion)
        let accepted = shared.inbox.withLock { inbox -> Bool in
            guard !inbox.stopping else { return false }
            inbox.items.append(submission)
            return true
        }
        guard accepted else {
            completion(.failure(HTTPClientError(.other, "the client was shut down")))
            return
        }
        shared.inFlight.wrappingAdd(1, ordering: .relaxed)
        shared.wake()
    }

    /// Fails every exchange still in flight (`.other`, "shut down") and ends the loop thread. Idempotent.
    public func shutdown() {
        shared.inbox.withLock { $0.stopping = true }
        shared.wake()
        if let id = thread.withLock({ t -> pthread_t? in defer { t = nil }; return t }) { ServerThread.join(id) }
    }
}

/// Hands the loop object to its thread. `@unchecked Sendable` is safe: after `init` only the loop thread touches it.
private struct UncheckedLoop: @unchecked Sendable {
    let loop: ClientLoop
    init(_ loop: ClientLoop) { self.loop = loop }
}

/// The loop thread's state: the poller and the exchanges in flight, keyed by epoll token (0 is the wake-up eventfd).
private final class ClientLoop {
    private final class Exchange {
        let fd: Int32
        let submission: EventLoopHTTPClient.Submission
        let deadline: UInt64
        var connecting: Bool
        var written = 0
        var parser = ResponseParser(storesMessage: true)
        init(fd: Int32, submission: EventLoopHTTPClient.Submission, deadline: UInt64, connecting: Bool) {
            self.fd = fd
            self.submission = submission
            self.deadline = deadline
            self.connecting = connecting
            parser.reset(expectingNoBody: submission.expectingNoBody)
        }
    }

    private let poller: ClientPoller
    private let shared: EventLoopHTTPClient.Shared
    private var exchanges: [UInt64: Exchange] = [:]
    private var nextToken: UInt64 = 1
    /// The earliest deadline among the exchanges (may be stale-early after completions: a scan then recomputes it).
    private var nextDeadline: UInt64 = .max
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var pending: [EventLoopHTTPClient.Submission] = []

    init(poller: ClientPoller, shared: EventLoopHTTPClient.Shared) {
        self.poller = poller
        self.shared = shared
    }

    func run() {
        while true {
            let now = MonotonicNanoseconds.now()
            let timeout: Int64 = nextDeadline == .max ? -1 : Int64(nextDeadline > now ? nextDeadline - now : 0)
            let count = poller.wait(timeoutNanoseconds: timeout)
            for index in 0..<count {
                let token = poller.token(at: index)
                if token == 0 {
                    var value: UInt64 = 0
                    _ = withUnsafeMutableBytes(of: &value) { read(shared.wakeFD, $0.baseAddress, 8) }
                    continue
                }
                if let exchange = exchanges[token] { handle(exchange, token: token, events: poller.events(at: index)) }
            }
            let stopping = shared.inbox.withLock { inbox -> Bool in
                swap(&inbox.items, &pending)
                return inbox.stopping
            }
            for submission in pending { start(submission) }
            pending.removeAll(keepingCapacity: true)
            if stopping {
                for (token, exchange) in exchanges {
                    finish(exchange, token: token, .failure(HTTPClientError(.other, "the client was shut down")))
                }
                return
            }
            if nextDeadline <= MonotonicNanoseconds.now() { expire() }
        }
    }

    private func start(_ submission: EventLoopHTTPClient.Submission) {
        let now = MonotonicNanoseconds.now()
        let deadline = submission.timeoutNanoseconds.map { now &+ $0 } ?? .max
        switch ClientSocket.startConnect(to: submission.address) {
        case .failed(let code):
            complete(submission, .failure(HTTPClientError(
                ClientSocket.classify(errno: code),
                "connect to \(submission.address.name) failed: \(ClientSocket.describe(errno: code))")))
        case .started(let fd, let connected):
            let token = nextToken
            nextToken &+= 1
            let exchange = Exchange(fd: fd, submission: submission, deadline: deadline, connecting: !connected)
            exchanges[token] = exchange
            nextDeadline = min(nextDeadline, deadline)
            poller.add(fd, token: token, interest: ClientPoller.writable)
        }
    }

    private func handle(_ exchange: Exchange, token: UInt64, events: UInt32) {
        let name = exchange.submission.address.name
        if exchange.connecting {
            let code = ClientSocket.pendingError(exchange.fd)
            if code != 0 {
                finish(exchange, token: token, .failure(HTTPClientError(
                    ClientSocket.classify(errno: code), "connect to \(name) failed: \(ClientSocket.describe(errno: code))")))
                return
            }
            exchange.connecting = false
        }
        if exchange.written < exchange.submission.bytes.count {
            let bytes = exchange.submission.bytes
            while exchange.written < bytes.count {
                let n = bytes.withUnsafeBytes { raw in
                    Glibc.send(exchange.fd, raw.baseAddress! + exchange.written, raw.count - exchange.written,
                               Int32(MSG_NOSIGNAL))
                }
                if n > 0 { exchange.written += n; continue }
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { return }  // still interested in writability
                finish(exchange, token: token, .failure(HTTPClientError(
                    ClientSocket.classify(errno: code), "sending to \(name) failed: \(ClientSocket.describe(errno: code))")))
                return
            }
            poller.modify(exchange.fd, token: token, interest: ClientPoller.readable)
            return
        }
        // Reading: as much as is there now.
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(exchange.fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 {
                var parsed: Result<Bool, ResponseParseError> = .success(false)
                buffer.withUnsafeBytes { raw in
                    do throws(ResponseParseError) {
                        parsed = .success(try exchange.parser.parse(UnsafeRawBufferPointer(rebasing: raw[0..<n])).complete)
                    } catch {
                        parsed = .failure(error)
                    }
                }
                switch parsed {
                case .success(true):
                    finish(exchange, token: token, .success(exchange.parser.takeResponse()))
                    return
                case .success(false):
                    continue
                case .failure(let error):
                    finish(exchange, token: token, .failure(HTTPClientError(
                        .badResponse, "bad response from \(name): \(error.description)")))
                    return
                }
            }
            if n == 0 {
                let result: Result<HTTPResponse, HTTPClientError>
                do throws(ResponseParseError) {
                    result = try exchange.parser.endOfStream()
                        ? .success(exchange.parser.takeResponse())
                        : .failure(HTTPClientError(.reset, "\(name) closed the connection without a response"))
                } catch {
                    result = .failure(HTTPClientError(.reset, "\(name) closed the connection early: \(error.description)"))
                }
                finish(exchange, token: token, result)
                return
            }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return }
            finish(exchange, token: token, .failure(HTTPClientError(
                ClientSocket.classify(errno: code), "reading from \(name) failed: \(ClientSocket.describe(errno: code))")))
            return
        }
    }

    /// Fails the exchanges whose deadline has passed and recomputes the earliest remaining deadline.
    private func expire() {
        let now = MonotonicNanoseconds.now()
        var earliest: UInt64 = .max
        for (token, exchange) in exchanges {
            if exchange.deadline <= now {
                finish(exchange, token: token, .failure(HTTPClientError(
                    .timeout, "no response from \(exchange.submission.address.name) in time")))
            } else {
                earliest = min(earliest, exchange.deadline)
            }
        }
        nextDeadline = earliest
    }

    private func finish(_ exchange: Exchange, token: UInt64, _ result: Result<HTTPResponse, HTTPClientError>) {
        exchanges[token] = nil
        close(exchange.fd)  // also leaves the epoll set
        complete(exchange.submission, result)
    }

    private func complete(_ submission: EventLoopHTTPClient.Submission, _ result: Result<HTTPResponse, HTTPClientError>) {
        shared.inFlight.wrappingSubtract(1, ordering: .relaxed)
        submission.completion(result)
    }
}

enum MonotonicNanoseconds {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
