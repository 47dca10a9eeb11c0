import Foundation
import HTTP
import Metrics

/// The demo backend's critical operations for `dyno bench`. Knob issues add theirs here (breaker call, job
/// enqueue/dequeue, JSON encode through Foundation, gzip).
public enum DemoBackendBenchmarks {
    public static let all: [Benchmark] = [
        Benchmark("json.encode-direct", "ConduitEncoding of a list page: 20 articles with authors and tags (the direct writer)") {
            let page = samplePage()
            return { n in for _ in 0..<n { benchmarkBlackHole(ConduitEncoding.articles(page)) } }
        },
        Benchmark("json.encode-foundation", "the same page as json.encode-direct through Codable models and JSONEncoder (encoding=foundation)") {
            let page = samplePage()
            return { n in for _ in 0..<n { benchmarkBlackHole(FoundationEncoding.encode(.articles(page))) } }
        },
        Benchmark("gzip.page", "gzip (zlib level 1) of that page's JSON, as compression=gzip sends it (~\(ConduitEncoding.articles(samplePage()).count / 1000) kB)") {
            let json = ConduitEncoding.articles(samplePage())
            return { n in for _ in 0..<n { benchmarkBlackHole(Gzip.compress(json)) } }
        },
        Benchmark("cache.get-hit", "ByteBoundedCache lookup that hits (1,000 entries, 16 shards)") {
            let cache = ByteBoundedCache<Int, [UInt8], Int>(capacityBytes: 32 << 20)
            let value = [UInt8](repeating: 1, count: 1024)
            for key in 0..<1000 { _ = try cache.value(forKey: key) { CacheLoad(value: value, bytes: 1100) } }
            return { n in
                for i in 0..<n { benchmarkBlackHole(try? cache.value(forKey: i % 1000) { CacheLoad(value: value, bytes: 1100) }) }
            }
        },
        Benchmark("cache.miss-put", "ByteBoundedCache miss that loads and stores a 1 KiB value (evicting at 4 MiB)") {
            let cache = ByteBoundedCache<Int, [UInt8], Int>(capacityBytes: 4 << 20)
            let value = [UInt8](repeating: 1, count: 1024)
            let next = SequenceNumber()
            return { n in
                for _ in 0..<n {
                    benchmarkBlackHole(try? cache.value(forKey: next.take()) { CacheLoad(value: value, bytes: 1100) })
                }
            }
        },
        Benchmark("pool.acquire-release", "ConnectionProvider (pool of 8): take a connection and give it back") {
            let db = try BenchmarkDatabase.shared()
            let provider = ConnectionProvider(databasePath: db.path, mode: .pool(size: 8))
            return { n in for _ in 0..<n { try? provider.withConnection { benchmarkBlackHole($0) } } }
        },
        Benchmark("sqlite.point-select", "SELECT of one article by primary key through the pool (cached statement)") {
            let db = try BenchmarkDatabase.shared()
            let provider = ConnectionProvider(databasePath: db.path, mode: .pool(size: 8))
            let articles = db.articles
            return { n in
                try? provider.withConnection { connection in
                    for i in 0..<n {
                        let statement = try connection.prepare("SELECT id, slug, title, description, created_at FROM articles WHERE id = ?1")
                        try statement.bind(.int(Int64(i % articles + 1)), at: 1)
                        benchmarkBlackHole(try statement.firstRow { $0.int(0) })
                    }
                }
            }
        },
        Benchmark("report.compute", "AuthorReport.compute over \(AuthorReport.maxArticles) seeded articles in memory (the heavy endpoint's CPU work)") {
            let articles = try BenchmarkDatabase.shared().reportArticles()
            return { n in for _ in 0..<n { benchmarkBlackHole(AuthorReport.compute(viewerID: 1, articles: articles)) } }
        },
        Benchmark("report.job", "One report job: load \(AuthorReport.maxArticles) followed authors' articles and tags, compute, encode") {
            let db = try BenchmarkDatabase.shared()
            _ = try db.reportArticles()  // makes the viewer who follows everyone
            let provider = ConnectionProvider(databasePath: db.path, mode: .pool(size: 2))
            return { n in for _ in 0..<n { benchmarkBlackHole(try? ReportJobs.compute(viewerID: 1, provider: provider)) } }
        },
        Benchmark("breaker.acquire-record", "CircuitBreaker (closed): admit a call and record its success") {
            let clock = SequenceNumber()
            let breaker = DependencyBreaker(dependency: "bench", clock: { UInt64(clock.take()) * 1_000 })
            return { n in
                for _ in 0..<n {
                    if case .call(let permit, _) = breaker.acquire() { breaker.record(permit, succeeded: true, timedOut: false) }
                }
            }
        },
        Benchmark("breaker.reject-open", "CircuitBreaker (open): the decision to use the fallback") {
            let breaker = DependencyBreaker(dependency: "bench", clock: { 0 })
            var permits: [CircuitBreaker.Permit] = []
            for _ in 0..<CircuitBreakerConfiguration().minimumNumberOfCalls {
                if case .call(let permit, _) = breaker.acquire() { permits.append(permit) }
            }
            for permit in permits { breaker.record(permit, succeeded: false, timedOut: false) }
            return { n in for _ in 0..<n { benchmarkBlackHole(breaker.acquire()) } }
        },
        Benchmark("jobs.enqueue-claim-complete", "JobStore (SQLite, WAL): enqueue a job, claim it, record it done") {
            let directory = BenchmarkDatabase.directory + "-jobs"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let store = try JobStore(path: directory + "/jobs.sqlite")
            let worker = UncheckedStore(store)
            return { n in
                let store = worker.store
                for _ in 0..<n {
                    let now = JobStore.nowMilliseconds()
                    _ = try? store.enqueue(kind: "bench", payload: "1", nowMilliseconds: now)
                    if let job = try? store.claimNext(nowMilliseconds: now) {
                        try? store.complete(id: job.id, result: "done", nowMilliseconds: now)
                    }
                }
            }
        },
    ] + HitPathBenchmarks.all

    /// Removes what the benchmarks made on disk (the temporary database).
    public static func cleanUp() {
        BenchmarkDatabase.remove()
        try? FileManager.default.removeItem(atPath: BenchmarkDatabase.directory + "-jobs")
    }

    /// A list page like `GET /api/articles?limit=20` returns.
    static func samplePage() -> ArticlePage {
        var articles: [Article] = []
        for i in 0..<20 {
            let n = Int64(i)
            let author = Profile(id: n % 5, username: "author\(i % 5)", bio: "Writes about servers.",
                                 image: "https://example.com/a\(i % 5).png", following: false)
            let created: Int64 = 1_700_000_000_000 + n
            articles.append(Article(id: n, slug: "how-to-measure-a-backend-\(i)", title: "How to measure a backend, part \(i)",
                                    description: "Latency, throughput and the knobs that move them, with \"quotes\"",
                                    body: nil, tagList: ["performance", "swift", "sqlite"], createdAt: created,
                                    updatedAt: created, favorited: false, favoritesCount: n * 3, author: author))
        }
        return ArticlePage(articles: articles, articlesCount: 100_000)
    }
}

/// A counter for benchmarks that need fresh keys.
final class SequenceNumber: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.add(1, ordering: .relaxed).newValue }
}

/// A small seeded database in a temporary directory, made once per process for the SQLite benchmarks.
final class BenchmarkDatabase: Sendable {
    let path: String
    let articles: Int
    private init(path: String, articles: Int) { self.path = path; self.articles = articles }

    private static let made = Mutex<Result<BenchmarkDatabase, any Error>?>(nil)
    static let directory = NSTemporaryDirectory() + "dyno-bench-\(getpid())"
    static let scale = 0.01

    /// Removes the database, if one was made.
    static func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// The articles of a report at its size limit: user 1 is made to follow every other user (once), and their
    /// most recent `AuthorReport.maxArticles` articles are read as the report job reads them.
    func reportArticles() throws -> [AuthorReport.SourceArticle] {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        try connection.execute("INSERT OR IGNORE INTO follows (follower_id, followee_id) SELECT 1, id FROM users WHERE id != 1")
        return try AuthorReport.load(viewerID: 1, connection: connection)
    }

    static func shared() throws -> BenchmarkDatabase {
        try made.withLock { made in
            if let made { return try made.get() }
            let result = Result { () throws -> BenchmarkDatabase in
                let file = try DataDirectory(path: directory).openOrSeed(scale: scale, hashPassword: PasswordHasher.hash,
                                                                         progress: { _ in })
                return BenchmarkDatabase(path: file.path, articles: max(1, file.counts.articles))
            }
            made = result
            return try result.get()
        }
    }
}

import Synchronization
