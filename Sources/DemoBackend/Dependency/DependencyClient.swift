import HTTP
import Synchronization

/// How a call to the dependency ended, as a route sees it.
enum DependencyOutcome: Sendable {
    /// It answered with a status below 500.
    case answered(HTTPResponse)
    /// An error, a 5xx answer, or (breaker on) no answer within the call timeout. The message is for the log only.
    case failed(String)
    /// The breaker did not let the call out (open, or the bulkhead full): the route uses its fallback.
    case rejected(CircuitBreaker.Rejection)
}

/// Calls the recommendations dependency the way the `dependency_io` and `breaker` knobs say.
///
/// - `blocking`: `HTTPClient` on the calling thread (under `serving=blocking`, a serving thread), which waits in
///   poll(2) until the answer comes. With the breaker off there is no timeout (an hour: longer than any run).
/// - `async`: the `EventLoopHTTPClient`; the calling thread returns at once and `completion` runs on the client's loop
///   thread when the dependency answers. With the breaker off it waits as long as the dependency takes.
/// - breaker on: the call goes through `DependencyBreaker` (rejected → fallback; admitted → the call timeout applies),
///   and its outcome is recorded there. A blocking call also meets a thread bulkhead: at most half of the
///   `sharedThreads` it runs on (serving threads, or the offloaded workers) may wait in dependency calls at once, so a
///   hanging dependency cannot take every thread the other routes need while the breaker is still deciding
///   (measured: without it, a hang stalled every route for the 8 s the breaker took to open; resilience4j's
///   ThreadPoolBulkhead and Hystrix's thread isolation exist for the same reason).
final class DependencyClient: Sendable {
    enum IO: Sendable { case blocking, async }

    /// The blocking call's limit when the breaker is off: none in practice.
    static let noTimeout: Duration = .seconds(3600)

    let host: String
    let breaker: DependencyBreaker
    private let port: @Sendable () -> Int
    private let eventLoop: EventLoopHTTPClient
    private let inFlightCount = Atomic<Int>(0)
    private let blockedCount = Atomic<Int>(0)
    private let callCount = Atomic<UInt64>(0)
    private let failureCount = Atomic<UInt64>(0)

    /// - Parameter port: read on every call (the dependency may be restarted on another port in tests).
    init(host: String = "127.0.0.1", port: @escaping @Sendable () -> Int, breaker: DependencyBreaker,
         eventLoop: EventLoopHTTPClient) {
        self.host = host
        self.port = port
        self.breaker = breaker
        self.eventLoop = eventLoop
    }

    /// The thread bulkhead of blocking calls: half the threads (at least one).
    static func blockingLimit(sharedThreads: Int) -> Int { max(1, sharedThreads / 2) }

    /// Calls in progress (both modes).
    var inFlight: Int { inFlightCount.load(ordering: .relaxed) }
    /// Threads waiting inside a blocking call right now.
    var threadsBlocked: Int { blockedCount.load(ordering: .relaxed) }
    var calls: UInt64 { callCount.load(ordering: .relaxed) }
    var failures: UInt64 { failureCount.load(ordering: .relaxed) }

    /// Makes one call. `completion` runs exactly once: on the calling thread (blocking, or rejected), or on the
    /// client's loop thread (async).
    /// - Parameter sharedThreads: how many threads the calling thread serves requests with (blocking calls only).
    func call(_ request: HTTPRequest, io: IO, breakerOn: Bool, sharedThreads: Int = 2,
              completion: @escaping @Sendable (DependencyOutcome) -> Void) {
        var permit: CircuitBreaker.Permit?
        var timeout: Duration?
        if breakerOn {
            let limit = io == .blocking ? Self.blockingLimit(sharedThreads: sharedThreads) : .max
            switch breaker.acquire(concurrencyLimit: limit) {
            case .reject(let rejection):
                completion(.rejected(rejection))
                return
            case .call(let admitted, let timeoutNanoseconds):
                permit = admitted
                timeout = .nanoseconds(Int64(timeoutNanoseconds))
            }
        }
        callCount.wrappingAdd(1, ordering: .relaxed)
        inFlightCount.wrappingAdd(1, ordering: .relaxed)
        let breaker = self.breaker
        let finish: @Sendable (Result<HTTPResponse, HTTPClientError>) -> Void = { [self, permit] result in
            self.inFlightCount.wrappingSubtract(1, ordering: .relaxed)
            let outcome: DependencyOutcome
            var timedOut = false
            switch result {
            case .success(let response) where response.status < 500:
                outcome = .answered(response)
            case .success(let response):
                outcome = .failed("recommendations answered \(response.status)")
            case .failure(let error):
                timedOut = error.kind == .timeout
                outcome = .failed("recommendations: \(error)")
            }
            if case .failed = outcome { self.failureCount.wrappingAdd(1, ordering: .relaxed) }
            if let permit {
                if case .answered = outcome {
                    breaker.record(permit, succeeded: true, timedOut: false)
                } else {
                    breaker.record(permit, succeeded: false, timedOut: timedOut)
                }
            }
            completion(outcome)
        }
        switch io {
        case .blocking:
            blockedCount.wrappingAdd(1, ordering: .relaxed)
            let result: Result<HTTPResponse, HTTPClientError>
            do {
                result = .success(try HTTPClient.send(request, to: host, port: port(), timeout: timeout ?? Self.noTimeout))
            } catch {
                result = .failure(error)
            }
            blockedCount.wrappingSubtract(1, ordering: .relaxed)
            finish(result)
        case .async:
            eventLoop.send(request, host: host, port: port(), timeout: timeout, completion: finish)
        }
    }
}
