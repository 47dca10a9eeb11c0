import Foundation
import HTTP
import LoadGenerator
import Metrics
import Synchronization

/// Scrapes an external target's Prometheus endpoint (`--metrics URL`) on its own thread, once per period, and
/// keeps the newest result as a `BackendSnapshot` for the run's tick to read (the tick never waits for the network).
public final class MetricsScraper: Sendable {
    public let url: String
    private let target: TargetAddress
    private let path: String
    private let period: Duration
    private let timeout: Duration
    private let latest: Mutex<BackendSnapshot>
    private let stopped = Atomic<Bool>(false)
    private let wake = NSCondition()

    /// - Parameters:
    ///   - url: `http://host:port/path` of the Prometheus text endpoint.
    ///   - period: time between scrapes (the run's tick).
    ///   - timeout: a scrape that takes longer fails (and is reported as such), default 2 s.
    public init(url: String, period: Duration, timeout: Duration = .seconds(2)) throws(LoadPlanError) {
        let address = try TargetAddress(url: url)
        self.url = url
        self.target = TargetAddress(host: address.host, port: address.port)
        path = address.basePath.isEmpty ? "/metrics" : address.basePath
        self.period = period
        self.timeout = timeout
        var initial = BackendSnapshot()
        var status = ScrapeStatus(url: url)
        status.error = "no scrape yet"
        initial.scrape = status
        latest = Mutex(initial)
    }

    /// The newest scrape (its `scrape.error` says when it failed; the figures are then the last good ones).
    public var snapshot: BackendSnapshot { latest.withLock { $0 } }

    /// Scrapes once now, on the caller's thread.
    public func scrapeOnce() {
        var request = HTTPRequest(method: "GET", target: path)
        request.headers.add(name: "Accept", value: "text/plain")
        var status = latest.withLock { $0.scrape } ?? ScrapeStatus(url: url)
        do throws(HTTPClientError) {
            let response = try HTTPClient.send(request, to: target.host, port: target.port, timeout: timeout)
            guard response.status == 200 else {
                status.error = "status \(response.status)"
                latest.withLock { $0.scrape = status }
                return
            }
            let (samples, _) = PrometheusText.parse(String(decoding: response.body, as: UTF8.self))
            status.error = nil
            status.scrapes += 1
            let snapshot = ScrapedBackend.snapshot(samples, status: status)
            latest.withLock { $0 = snapshot }
        } catch {
            status.error = error.kind == .refused ? "connection refused" : error.message
            latest.withLock { $0.scrape = status }
        }
    }

    /// Starts the scraping thread.
    public func start() {
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                let next = Date().addingTimeInterval(Double(period.components.seconds)
                                                     + Double(period.components.attoseconds) / 1e18)
                scrapeOnce()
                wake.lock()
                while !stopped.load(ordering: .relaxed) && Date() < next { _ = wake.wait(until: next) }
                wake.unlock()
            }
        }
        thread.name = "dyno-scraper"
        thread.start()
    }

    /// Stops the thread (a scrape in progress finishes within its timeout).
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        wake.lock()
        wake.broadcast()
        wake.unlock()
    }
}
