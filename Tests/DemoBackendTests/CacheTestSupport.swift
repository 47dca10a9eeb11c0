import Foundation
import Knobs
import Metrics
import Synchronization
import TestSupport
@testable import DemoBackend

/// A monotonic clock that only moves when told (TTL tests step it instead of sleeping).
final class CacheManualClock: Sendable {
    private let nanoseconds = Atomic<UInt64>(1_000_000)

    var now: UInt64 { nanoseconds.load(ordering: .relaxed) }

    func advance(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        nanoseconds.wrappingAdd(UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000), ordering: .relaxed)
    }

    var function: @Sendable () -> UInt64 { { self.now } }
}

/// Runs `body` on a new thread; `join()` waits for it to finish.
final class CacheTestThread: Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let done = self.done
        Thread {
            body()
            done.signal()
        }.start()
    }

    func join() { done.wait() }
}

/// Polls `condition` every millisecond until it holds or `timeout` passes (no fixed sleeps in tests).
func cacheWait(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { return false }
        usleep(1_000)
    }
    return true
}

/// A fresh request context for store calls made outside the HTTP layer.
func cacheTestContext(_ route: Route = .getArticle) -> RequestContext {
    RequestContext(route: route, metrics: RouteMetrics(route: route))
}

/// A `cache` knob of its own (from the backend's definitions), starting at `value`.
func cacheTestKnob(_ value: String) -> (registry: KnobRegistry, knob: Knob) {
    let registry = DemoBackend.makeKnobRegistry()
    try! registry.set(["cache": value], source: "test")
    return (registry, registry["cache"]!)
}

/// A seeded database (default scale 0.01: 20 users, 1,000 articles, 6 tags) in a temp dir, the real SQLite store over
/// it, and the caching decorator around that store.
final class CacheTestDatabase {
    let directory: TemporaryDirectory
    let provider: ConnectionProvider
    let registry: KnobRegistry
    let sqlite: SQLiteConduitStore
    let store: CachingConduitStore<SQLiteConduitStore>

    init(cache: String = "on", scale: Double = 0.01, capacityBytes: Int = 32 << 20) throws {
        directory = try TemporaryDirectory(prefix: "dyno-cache-test")
        let path = directory.file("demo.sqlite")
        let connection = try SQLiteConnection(path: path, create: true)
        defer { connection.close() }
        _ = try Seeder(seed: 42, scale: scale).seed(into: connection, passwordHash: "test-hash")
        provider = ConnectionProvider(databasePath: path, mode: .pool(size: 4))
        let (registry, knob) = cacheTestKnob(cache)
        self.registry = registry
        sqlite = SQLiteConduitStore(provider: provider)
        store = CachingConduitStore(base: sqlite, knob: knob, capacityBytes: capacityBytes)
    }

    deinit {
        provider.closeIdleConnections()
        directory.remove()
    }

    func setCache(_ value: String) throws {
        try registry.set(["cache": value], source: "test")
    }

    /// Runs `body` with a fresh context and returns its result and the statements it executed.
    func measured<T>(_ body: (inout RequestContext) throws -> T) rethrows -> (value: T, statements: UInt64) {
        var context = cacheTestContext()
        let value = try body(&context)
        return (value, context.dbStatements)
    }

    /// Calls `body` with a fresh context.
    func call<T>(_ body: (inout RequestContext) throws -> T) rethrows -> T {
        var context = cacheTestContext()
        return try body(&context)
    }
}

enum CacheFakeStoreError: Error, Equatable {
    case unsupported(String)
    case failedLoad
}

/// A `ConduitStore` whose `article(slug:)` can be made to block and to fail, counting its loads: the single-flight and
/// load-vs-invalidation tests coordinate on it with semaphores. Each load "executes" one statement.
final class CacheFakeStore: ConduitStore {
    /// Loads that have started.
    let loads = Atomic<Int>(0)
    /// How many of the next loads block (after reading the data) until `release` is signalled.
    let blockingLoads = Atomic<Int>(0)
    /// Signalled by each blocking load once it has read the data and is about to block.
    let loadBlocked = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    /// When true, loads throw `failedLoad`.
    let failing = Atomic<Bool>(false)
    /// The article's favorites count: what writes change.
    let favoritesCount = Atomic<Int64>(0)

    func article(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> Article {
        let count = favoritesCount.load(ordering: .sequentiallyConsistent)
        loads.add(1, ordering: .sequentiallyConsistent)
        context.dbStatements += 1
        if blockingLoads.subtract(1, ordering: .sequentiallyConsistent).newValue >= 0 {
            loadBlocked.signal()
            release.wait()
        }
        if failing.load(ordering: .sequentiallyConsistent) { throw CacheFakeStoreError.failedLoad }
        return Self.article(slug: slug, favoritesCount: count)
    }

    func setFavorite(_ favorite: Bool, slug: String, userID: Int64, _ context: inout RequestContext) throws -> Article {
        let count = favoritesCount.add(favorite ? 1 : -1, ordering: .sequentiallyConsistent).newValue
        return Self.article(slug: slug, favoritesCount: count)
    }

    static func article(slug: String, favoritesCount: Int64) -> Article {
        Article(id: 7, slug: slug, title: "Title", description: "Description", body: "Body", tagList: ["t"],
                createdAt: 1, updatedAt: 1, favorited: false, favoritesCount: favoritesCount,
                author: Profile(id: 1, username: "author", bio: nil, image: nil, following: false))
    }

    // Not used by the tests.
    func user(id: Int64, _ context: inout RequestContext) throws -> UserRecord? { throw CacheFakeStoreError.unsupported("user") }
    func user(email: String, _ context: inout RequestContext) throws -> UserRecord? { throw CacheFakeStoreError.unsupported("user") }
    func createUser(username: String, email: String, passwordHash: String, _ context: inout RequestContext) throws -> UserRecord {
        throw CacheFakeStoreError.unsupported("createUser")
    }
    func updateUser(id: Int64, _ changes: UserChanges, _ context: inout RequestContext) throws -> UserRecord {
        throw CacheFakeStoreError.unsupported("updateUser")
    }
    func profile(username: String, viewerID: Int64?, _ context: inout RequestContext) throws -> Profile {
        throw CacheFakeStoreError.unsupported("profile")
    }
    func setFollowing(_ following: Bool, username: String, followerID: Int64, _ context: inout RequestContext) throws -> Profile {
        throw CacheFakeStoreError.unsupported("setFollowing")
    }
    func articles(_ query: ArticleQuery, viewerID: Int64?, _ context: inout RequestContext) throws -> ArticlePage {
        throw CacheFakeStoreError.unsupported("articles")
    }
    func createArticle(_ article: NewArticle, authorID: Int64, _ context: inout RequestContext) throws -> Article {
        throw CacheFakeStoreError.unsupported("createArticle")
    }
    func updateArticle(slug: String, _ changes: ArticleChanges, editorID: Int64, _ context: inout RequestContext) throws -> Article {
        throw CacheFakeStoreError.unsupported("updateArticle")
    }
    func deleteArticle(slug: String, editorID: Int64, _ context: inout RequestContext) throws {
        throw CacheFakeStoreError.unsupported("deleteArticle")
    }
    func comments(slug: String, viewerID: Int64?, _ context: inout RequestContext) throws -> [Comment] {
        throw CacheFakeStoreError.unsupported("comments")
    }
    func addComment(slug: String, body: String, authorID: Int64, _ context: inout RequestContext) throws -> Comment {
        throw CacheFakeStoreError.unsupported("addComment")
    }
    func deleteComment(slug: String, commentID: Int64, editorID: Int64, _ context: inout RequestContext) throws {
        throw CacheFakeStoreError.unsupported("deleteComment")
    }
    func tags(_ context: inout RequestContext) throws -> [String] { throw CacheFakeStoreError.unsupported("tags") }
    func exportArticles(_ filter: ExportFilter, afterID: Int64, limit: Int, viewerID: Int64?,
                        _ context: inout RequestContext) throws -> [Article] {
        throw CacheFakeStoreError.unsupported("export")
    }
}

/// The Conduit comment type, for test files that import Testing (whose `Comment` would shadow it; the module name
/// is shadowed by the `DemoBackend` class, so it cannot be qualified there).
typealias CacheComment = Comment
