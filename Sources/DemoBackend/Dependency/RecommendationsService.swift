import Dispatch
import HTTP
import Synchronization

/// The faults the flaky dependency injects, after Toxiproxy's toxics (the `dependency*` fault knobs).
public struct DependencyFaults: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Answers at once.
        case ok
        /// Answers after `latencyMilliseconds` ± 20% (Toxiproxy `latency` with jitter).
        case slow
        /// Answers 503 on `errorPercent` percent of calls.
        case flaky
        /// Accepts and reads the request, never answers (Toxiproxy `timeout` with timeout 0). The held requests are
        /// answered when the fault is lifted, like a partition healing with TCP retransmits.
        case hang
        /// Sends part of the response, then resets the connection (Toxiproxy `reset_peer`).
        case reset
        /// Refuses connections: the listening socket is closed until the fault is lifted.
        case down
    }

    public var mode: Mode = .ok
    /// Added latency of `slow`. Default 300 ms.
    public var latencyMilliseconds = 300
    /// Share of `flaky` calls answered 503. Default 50.
    public var errorPercent = 50

    public init(mode: Mode = .ok, latencyMilliseconds: Int = 300, errorPercent: Int = 50) {
        self.mode = mode
        self.latencyMilliseconds = latencyMilliseconds
        self.errorPercent = errorPercent
    }
}

/// The "recommendations" service: a separate HTTP service on its own loopback port that the demo backend calls, with
/// switchable faults. It knows nothing of the database: it is someone else's service.
///
/// - `GET /related/<articleID>` → `{"ids":[...]}`: five other article ids in `1...articleCount`, the same for the
///   same article (a hash, standing in for a model the service would own).
/// - `POST /spam-check` (body: the comment text) → `{"spam":true|false}`.
///
/// The demo backend starts one in-process; `dyno dependency --port N` runs one alone.
public final class RecommendationsService: Sendable {
    /// Related ids per answer.
    static let relatedCount = 5

    private let host: String
    private let core: Core
    private let state: Mutex<State>

    private struct State {
        var server: HTTPServer?
        var port: Int
        var stopped = false
    }

    /// - Parameters:
    ///   - port: 0 picks a free port on the first `start()`; the service keeps it across `down` and back.
    ///   - articleCount: related ids are drawn from `1...articleCount`.
    public init(host: String = "127.0.0.1", port: Int = 0, articleCount: Int64, faults: DependencyFaults = .init()) {
        self.host = host
        core = Core(articleCount: max(1, articleCount), faults: faults)
        state = Mutex(State(port: port))
    }

    deinit { stop() }

    /// Binds and starts answering (unless the fault is `down`, which keeps the port closed); returns the port.
    @discardableResult
    public func start() throws -> Int {
        try state.withLock { state in
            if core.faults.mode != .down, state.server == nil { try listen(&state) }
            return state.port
        }
    }

    /// Stops listening and answers nothing more. Idempotent.
    public func stop() {
        let server = state.withLock { state -> HTTPServer? in
            state.stopped = true
            defer { state.server = nil }
            return state.server
        }
        core.releaseHeld(with: DependencyFaults(mode: .reset))
        server?.stop()
    }

    /// The bound port (0 before the first `start()`).
    public var port: Int { state.withLock { $0.port } }

    public var faults: DependencyFaults { core.faults }

    /// Requests held by `hang` right now.
    public var heldRequests: Int { core.heldCount }

    /// Switches faults live. Leaving `hang` answers the held requests under the new faults; entering `down` closes the
    /// listening socket (new connections are refused), leaving it listens again on the same port.
    public func setFaults(_ faults: DependencyFaults) throws {
        let old = core.swapFaults(faults)
        if old.mode == .hang && faults.mode != .hang { core.releaseHeld(with: faults) }
        guard (old.mode == .down) != (faults.mode == .down) else { return }
        try state.withLock { state in
            guard !state.stopped else { return }
            if faults.mode == .down {
                state.server?.stop()
                state.server = nil
            } else if state.server == nil {
                try listen(&state)
            }
        }
    }

    private func listen(_ state: inout State) throws {
        var configuration = HTTPServerConfiguration(host: host, port: state.port, threads: 1)
        // Going `down` stops the server: answered requests have had their bytes written already, so a short grace is
        // enough, and it bounds how long a knob change takes.
        configuration.shutdownGracePeriod = .milliseconds(200)
        configuration.maxBodyBytes = 64 * 1024
        let core = self.core
        let server = HTTPServer(configuration: configuration) { request, responder in
            core.handle(request, responder)
        }
        state.port = try server.start()
        state.server = server
    }

    /// What the request handler shares with the service (the service owns the server, the server's handler owns this).
    final class Core: Sendable {
        let articleCount: Int64
        private let current: Mutex<DependencyFaults>
        private let held = Mutex<[(HTTPRequest, HTTPResponder)]>([])

        init(articleCount: Int64, faults: DependencyFaults) {
            self.articleCount = articleCount
            current = Mutex(faults)
        }

        var faults: DependencyFaults { current.withLock { $0 } }
        var heldCount: Int { held.withLock { $0.count } }

        func swapFaults(_ faults: DependencyFaults) -> DependencyFaults {
            current.withLock { current in
                defer { current = faults }
                return current
            }
        }

        func releaseHeld(with faults: DependencyFaults) {
            let requests = held.withLock { held in
                defer { held.removeAll() }
                return held
            }
            for (request, responder) in requests { serve(request, responder, faults: faults) }
        }

        func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
            let faults = self.faults
            if faults.mode == .hang {
                held.withLock { $0.append((request, responder)) }
                // The fault may have been lifted between reading it and holding the request: release it then.
                if self.faults.mode != .hang { releaseHeld(with: self.faults) }
                return
            }
            serve(request, responder, faults: faults)
        }

        private func serve(_ request: HTTPRequest, _ responder: HTTPResponder, faults: DependencyFaults) {
            switch faults.mode {
            case .ok, .hang:
                responder.respond(answer(request))
            case .slow:
                // The injected latency is a timer on Dispatch: nothing waits on a thread meanwhile.
                let base = Double(max(0, faults.latencyMilliseconds))
                let delay = base * Double.random(in: 0.8...1.2)
                let response = answer(request)
                DispatchQueue.global().asyncAfter(deadline: .now() + .microseconds(Int(delay * 1000))) {
                    responder.respond(response)
                }
            case .flaky:
                if Int.random(in: 0..<100) < faults.errorPercent {
                    responder.respond(Self.json(503, "{\"error\":\"injected fault: flaky\"}"))
                } else {
                    responder.respond(answer(request))
                }
            case .reset, .down:
                // Half of the status line and headers, then RST (`down` gets here only in the instant it starts).
                responder.reset(afterSending: 20, of: answer(request))
            }
        }

        func answer(_ request: HTTPRequest) -> HTTPResponse {
            if request.method == "GET", request.path.hasPrefix("/related/"),
               let id = Int64(request.path.dropFirst("/related/".count)), id > 0 {
                let ids = Self.relatedIDs(of: id, articleCount: articleCount)
                return Self.json(200, "{\"ids\":[\(ids.map(String.init).joined(separator: ","))]}")
            }
            if request.method == "POST", request.path == "/spam-check" {
                let spam = Self.looksLikeSpam(String(decoding: request.body, as: UTF8.self))
                return Self.json(200, "{\"spam\":\(spam)}")
            }
            return Self.json(404, "{\"error\":\"no such endpoint (GET /related/<id>, POST /spam-check)\"}")
        }

        /// Up to five distinct ids other than `id`, from a fixed mix of the id (SplitMix64 steps).
        static func relatedIDs(of id: Int64, articleCount: Int64) -> [Int64] {
            guard articleCount > 1 else { return [] }
            var ids: [Int64] = []
            var state = UInt64(bitPattern: id)
            var attempts = 0
            while ids.count < min(relatedCount, Int(articleCount) - 1) && attempts < 64 {
                attempts += 1
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                let candidate = Int64(z % UInt64(articleCount)) + 1
                if candidate != id && !ids.contains(candidate) { ids.append(candidate) }
            }
            return ids
        }

        /// A crude filter: three or more links, or a word from a short list.
        static func looksLikeSpam(_ text: String) -> Bool {
            let lower = text.lowercased()
            let links = lower.split(separator: "http", omittingEmptySubsequences: false).count - 1
            return links >= 3 || ["casino", "viagra", "free money", "crypto giveaway"].contains { lower.contains($0) }
        }

        static func json(_ status: Int, _ text: String) -> HTTPResponse {
            HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(text.utf8))
        }
    }
}
