import Foundation
import Synchronization
@testable import DemoBackend

/// A fresh directory under the system temp dir, removed by `remove()`.
struct StorageTempDirectory {
    let path: String

    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("dyno-storage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Stand-in for the API's password hasher: the storage tests only need a stable string.
func storageTestHash(_ password: String) -> String { "test-hash:\(password)" }

/// Seeds a fresh database file at `path` (tiny scales for tests).
@discardableResult
func seedStorageTestDatabase(at path: String, seed: UInt64 = 42, scale: Double = 0.01) throws -> TableCounts {
    let connection = try SQLiteConnection(path: path, create: true)
    defer { connection.close() }
    return try Seeder(seed: seed, scale: scale).seed(into: connection, passwordHash: storageTestHash("password"))
}

/// FNV-1a over every row of every data table in primary-key order: equal hashes = identical contents.
func storageTableHashes(path: String) throws -> [String: UInt64] {
    let connection = try SQLiteConnection(path: path, readOnly: true)
    defer { connection.close() }
    let orderBy = ["users": "id", "articles": "id", "tags": "id", "article_tags": "article_id, tag_id",
                   "favorites": "user_id, article_id", "follows": "follower_id, followee_id", "comments": "id",
                   "meta": "key"]
    var hashes: [String: UInt64] = [:]
    for (table, order) in orderBy {
        let statement = try connection.prepare("SELECT * FROM \(table) ORDER BY \(order)")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        try statement.forEachRow { row in
            for column in 0..<row.columnCount {
                if row.isNull(column) { mix(0xff) } else { row.withTextBytes(column) { $0.forEach(mix) } }
                mix(0)
            }
            mix(1)
        }
        hashes[table] = hash
    }
    return hashes
}

/// Waits until `condition` holds, checking every millisecond, up to `timeout` (no fixed sleeps in tests).
func storageWait(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { return false }
        usleep(1_000)
    }
    return true
}

/// Runs `body` on a new thread; `join()` waits for it.
final class StorageTestThread: Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let done = self.done
        let thread = Thread {
            body()
            done.signal()
        }
        thread.start()
    }

    func join() { done.wait() }
}
