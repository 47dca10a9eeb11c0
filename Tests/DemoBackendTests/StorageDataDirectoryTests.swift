import Foundation
import Testing
@testable import DemoBackend

@Suite("Storage: data directory")
final class StorageDataDirectoryTests {
    let directory: StorageTempDirectory
    let data: DataDirectory

    init() throws {
        directory = try StorageTempDirectory()
        data = DataDirectory(path: directory.file("data"))
    }

    deinit { directory.remove() }

    func open(seed: UInt64 = 42, scale: Double = 0.01) throws -> DatabaseFile {
        try data.openOrSeed(seed: seed, scale: scale, hashPassword: storageTestHash)
    }

    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func firstOpenSeedsAndSecondReusesWithoutReseeding() throws {
        var hashCalls = 0
        var phases = Set<String>()
        let first = try data.openOrSeed(scale: 0.01, hashPassword: { hashCalls += 1; return storageTestHash($0) },
                                        progress: { phases.insert($0.phase) })
        #expect(first.seededNow)
        #expect(first.seedingDuration != nil)
        #expect(hashCalls == 1)  // one hash for all seeded users
        #expect(first.path == data.databasePath)
        #expect(first.counts.articles == 1_000)
        #expect(first.sizeBytes > 0)
        #expect(phases.contains("articles"))
        let hashes = try storageTableHashes(path: first.path)
        let bytes = contents(first.path)

        let second = try data.openOrSeed(scale: 0.01, hashPassword: { hashCalls += 1; return storageTestHash($0) },
                                         progress: { _ in Issue.record("reused database must not report seeding") })
        #expect(!second.seededNow)
        #expect(second.seedingDuration == nil)
        #expect(hashCalls == 1)
        #expect(second.counts == first.counts)
        #expect(try storageTableHashes(path: second.path) == hashes)
        #expect(contents(second.path) == bytes)  // reopened read-only: not a byte changed
        // Nothing but the database is left in the directory (no temp files).
        let names = try FileManager.default.contentsOfDirectory(atPath: data.path).filter { !$0.hasSuffix("-shm") && !$0.hasSuffix("-wal") }
        #expect(names == [DataDirectory.databaseFileName])
    }

    @Test func seededFileIsInWALModeWithIndexes() throws {
        let file = try open()
        let connection = try SQLiteConnection(path: file.path)
        defer { connection.close() }
        #expect(try connection.prepare("PRAGMA journal_mode").firstRow { $0.text(0) } == "wal")
        #expect(SecondaryIndexes.present(on: connection))
        #expect(try connection.prepare("SELECT COUNT(*) FROM sqlite_stat1").firstRow { $0.int(0) }! > 0)
    }

    @Test func differentSeedOrScaleIsAClearError() throws {
        _ = try open(seed: 42, scale: 0.01)
        let seedError = #expect(throws: DataDirectoryError.self) { try self.open(seed: 7, scale: 0.01) }
        #expect(seedError == .mismatch(path: data.databasePath, key: "seed", expected: "7", found: "42"))
        #expect(seedError?.description.contains("--data") == true)
        let scaleError = #expect(throws: DataDirectoryError.self) { try self.open(seed: 42, scale: 0.02) }
        #expect(scaleError == .mismatch(path: data.databasePath, key: "scale", expected: "0.02", found: "0.01"))
    }

    @Test(arguments: ["not a database at all, just text", ""])
    func foreignFileIsRejectedAndLeftUntouched(text: String) throws {
        try FileManager.default.createDirectory(atPath: data.path, withIntermediateDirectories: true)
        let original = Data(text.utf8)
        #expect(FileManager.default.createFile(atPath: data.databasePath, contents: original))
        let error = #expect(throws: DataDirectoryError.self) { try self.open() }
        guard case .foreignFile(let path, _)? = error else {
            Issue.record("expected foreignFile, got \(String(describing: error))")
            return
        }
        #expect(path == data.databasePath)
        #expect(error?.description.contains(data.databasePath) == true)
        #expect(contents(data.databasePath) == original)
    }

    @Test func sqliteFileWithoutOurMetaIsForeign() throws {
        try FileManager.default.createDirectory(atPath: data.path, withIntermediateDirectories: true)
        do {
            let other = try SQLiteConnection(path: data.databasePath, create: true)
            try other.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')")
            try other.execute("PRAGMA journal_mode=DELETE")
            other.close()
        }
        let original = contents(data.databasePath)
        let error = #expect(throws: DataDirectoryError.self) { try self.open() }
        guard case .foreignFile(_, let reason)? = error else {
            Issue.record("expected foreignFile, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("meta"))
        #expect(contents(data.databasePath) == original)
    }

    @Test func corruptDatabaseIsRejectedAndLeftUntouched() throws {
        let file = try open()
        // Keep the valid 100-byte header, garble everything after it.
        var bytes = contents(file.path)!
        for index in 100..<bytes.count { bytes[index] = UInt8(truncatingIfNeeded: index &* 31) }
        try bytes.write(to: URL(fileURLWithPath: file.path))
        for suffix in ["-wal", "-shm"] { unlink(file.path + suffix) }

        let error = #expect(throws: DataDirectoryError.self) { try self.open() }
        switch error {
        case .corruptDatabase(let path, _)?, .foreignFile(let path, _)?:
            #expect(path == file.path)
        default:
            Issue.record("expected corruptDatabase, got \(String(describing: error))")
        }
        #expect(contents(file.path) == bytes)
    }

    /// A truncated database: refused, and nothing created beside it (no -wal/-shm), as the message promises.
    @Test func truncatedDatabaseIsRejectedWithNothingCreatedBesideIt() throws {
        let file = try open()
        let whole = contents(file.path)!
        for suffix in ["-wal", "-shm"] { unlink(file.path + suffix) }
        let truncated = whole.prefix(whole.count / 3)
        try truncated.write(to: URL(fileURLWithPath: file.path))
        let before = try FileManager.default.contentsOfDirectory(atPath: data.path).sorted()

        let error = #expect(throws: DataDirectoryError.self) { try self.open() }
        guard case .corruptDatabase(let path, _)? = error else {
            Issue.record("expected corruptDatabase, got \(String(describing: error))")
            return
        }
        #expect(path == file.path)
        #expect(String(describing: error!).contains("left untouched"))
        #expect(contents(file.path) == truncated)
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.path).sorted() == before)
    }

    /// Someone else's SQLite file in WAL mode: refused without creating its -wal/-shm.
    @Test func foreignWALDatabaseGetsNoSideFiles() throws {
        try FileManager.default.createDirectory(atPath: data.path, withIntermediateDirectories: true)
        do {
            let other = try SQLiteConnection(path: data.databasePath, create: true)   // WAL by default
            try other.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')")
            other.close()
        }
        for suffix in ["-wal", "-shm"] { unlink(data.databasePath + suffix) }
        let original = contents(data.databasePath)
        #expect(throws: DataDirectoryError.self) { try self.open() }
        #expect(contents(data.databasePath) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.path) == [DataDirectory.databaseFileName])
    }

    @Test func staleTemporaryFilesFromAnInterruptedSeedAreRemoved() throws {
        try FileManager.default.createDirectory(atPath: data.path, withIntermediateDirectories: true)
        // A pid above the kernel's maximum: that process cannot be running.
        let stale = (data.path as NSString).appendingPathComponent("\(DataDirectory.seedingPrefix)999999999")
        #expect(FileManager.default.createFile(atPath: stale, contents: Data("half a database".utf8)))
        _ = try open()
        #expect(!FileManager.default.fileExists(atPath: stale))
    }

    @Test func dataPathThatIsAFileIsAnError() throws {
        #expect(FileManager.default.createFile(atPath: data.path, contents: Data("x".utf8)))
        let error = #expect(throws: DataDirectoryError.self) { try self.open() }
        guard case .unusableDirectory(let path, _)? = error else {
            Issue.record("expected unusableDirectory, got \(String(describing: error))")
            return
        }
        #expect(path == data.path)
    }

    @Test func invalidScaleIsAnError() throws {
        #expect(throws: DataDirectoryError.invalidScale(0)) { try self.open(scale: 0) }
    }
}
