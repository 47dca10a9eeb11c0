import Foundation
import Glibc
import Synchronization

/// Numbers the seeding temp files of this process, so concurrent seeds (e.g. parallel tests) never share one.
private let seedingAttempts = Atomic<UInt64>(0)

/// Why the data directory could not be used. Every case names the path; none is ever "fixed" by overwriting a file.
public enum DataDirectoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The scale is not a positive finite number.
    case invalidScale(Double)
    /// The data path exists but is not a directory, or the directory cannot be created.
    case unusableDirectory(path: String, reason: String)
    /// A file at the database path is not a Dyno demo database (not SQLite, or SQLite without our `meta`).
    case foreignFile(path: String, reason: String)
    /// The file looks like SQLite but cannot be read (corrupt or truncated).
    case corruptDatabase(path: String, reason: String)
    /// A Dyno demo database seeded differently (other seed, scale, schema or seeder version).
    case mismatch(path: String, key: String, expected: String, found: String)
    /// Seeding failed; nothing was left at the database path.
    case seedingFailed(path: String, reason: String)
    /// Migrating an older schema failed; its transaction was rolled back, the file is as it was.
    case migrationFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidScale(let scale):
            return "invalid seed scale \(scale): it must be a number greater than 0"
        case .unusableDirectory(let path, let reason):
            return "cannot use data directory \(path): \(reason)"
        case .foreignFile(let path, let reason):
            return "\(path) is not a Dyno demo database (\(reason)); it was left untouched: "
                + "choose another directory with --data DIR, or move the file away"
        case .corruptDatabase(let path, let reason):
            return "\(path) cannot be read as a Dyno demo database (\(reason)); it was left untouched: "
                + "delete it to seed a new one, or choose another directory with --data DIR"
        case .mismatch(let path, let key, let expected, let found):
            return "\(path) was seeded with \(key) \(found), but \(expected) was asked for: "
                + "use another directory with --data DIR, or delete \(path) to seed again"
        case .seedingFailed(let path, let reason):
            return "seeding \(path) failed: \(reason)"
        case .migrationFailed(let path, let reason):
            return "migrating \(path) to schema \(Schema.version) failed (\(reason)); it was left as it was: "
                + "delete it to seed a new one, or choose another directory with --data DIR"
        }
    }
}

/// The demo database as opened or seeded.
public struct DatabaseFile: Sendable {
    /// Path of the SQLite file.
    public var path: String
    public var seed: UInt64
    public var scale: Double
    /// Row counts now (for a reused database: including anything the API wrote since seeding).
    public var counts: TableCounts
    /// True if this call seeded the database, false if it reused an existing one.
    public var seededNow: Bool
    /// Wall time of the seeding, when `seededNow`.
    public var seedingDuration: Duration?
    /// Size of the database file in bytes.
    public var sizeBytes: Int64
}

/// The directory holding the demo database (`demo.sqlite`), `.dyno/` in the working directory by default.
///
/// First start seeds a database into a temporary file next to it and moves it into place only when complete, so an
/// interrupted seed never leaves a file that looks valid. Later starts reuse it after checking its `meta` rows.
public struct DataDirectory: Sendable {
    /// The default data directory, relative to the working directory.
    public static let defaultPath = ".dyno"
    /// The database file name inside the directory.
    public static let databaseFileName = "demo.sqlite"
    /// Prefix of the temporary file a seed is built in (followed by `<pid>-<n>`: the seeding process and attempt).
    static let seedingPrefix = "demo.sqlite.seeding-"

    /// The directory path as given.
    public let path: String

    public init(path: String = DataDirectory.defaultPath) {
        self.path = path
    }

    /// Path of the database file.
    public var databasePath: String { (path as NSString).appendingPathComponent(Self.databaseFileName) }

    /// Opens the demo database, seeding it first if there is none.
    ///
    /// - Parameters:
    ///   - seed, scale: what to seed (defaults 42 and 1.0); an existing database must have been seeded with the same.
    ///   - hashPassword: hashes `Seeder.seededPassword` once for all seeded users (the API's password hasher).
    ///   - progress: seeding progress, on the calling thread (not called when the database is reused).
    /// - Throws: `DataDirectoryError` (with the path and what is wrong).
    public func openOrSeed(seed: UInt64 = Seeder.defaultSeed, scale: Double = 1.0,
                           hashPassword: (String) -> String,
                           progress: (SeedProgress) -> Void = { _ in }) throws -> DatabaseFile {
        guard scale > 0, scale.isFinite else { throw DataDirectoryError.invalidScale(scale) }
        try createDirectoryIfNeeded()
        let seeder = Seeder(seed: seed, scale: scale)
        if FileManager.default.fileExists(atPath: databasePath) {
            return try openExisting(seeder: seeder, progress: progress)
        }
        removeStaleSeedingFiles()
        let started = ContinuousClock.now
        let temporary = (path as NSString).appendingPathComponent(
            "\(Self.seedingPrefix)\(getpid())-\(seedingAttempts.add(1, ordering: .relaxed).newValue)")
        do {
            try seedFile(at: temporary, seeder: seeder, hashPassword: hashPassword, progress: progress)
        } catch {
            Self.removeDatabaseFiles(temporary)
            throw DataDirectoryError.seedingFailed(path: databasePath, reason: String(describing: error))
        }
        // link(2) never replaces an existing file: if another process finished seeding first, use its database.
        if link(temporary, databasePath) != 0 {
            let error = errno
            Self.removeDatabaseFiles(temporary)
            if error == EEXIST { return try openExisting(seeder: seeder) }
            throw DataDirectoryError.seedingFailed(
                path: databasePath, reason: "cannot move the seeded file into place: \(String(cString: strerror(error)))")
        }
        unlink(temporary)
        var file = try openExisting(seeder: seeder)
        file.seededNow = true
        file.seedingDuration = ContinuousClock.now - started
        return file
    }

    // MARK: Existing database

    /// Checks that the file is our database, seeded as asked, and counts its rows. Never writes to a file it rejects;
    /// a schema-1 database (same seed and scale) is migrated in place first (`MaintainedCounts.migrateFromVersion1`).
    private func openExisting(seeder: Seeder, progress: (SeedProgress) -> Void = { _ in }) throws -> DatabaseFile {
        let dbPath = databasePath
        try checkHeader(dbPath)
        var needsMigration = false
        let meta: [String: String]
        var counts = TableCounts()
        do {
            // A file we reject must stay byte-for-byte untouched, with nothing created beside it: immutable, so
            // SQLite makes no -wal/-shm files. When a -wal is already there (our database after a crash), its
            // committed rows count: then a plain read-only open, which reads it.
            let hasWAL = FileManager.default.fileExists(atPath: dbPath + "-wal")
            let connection = try SQLiteConnection(path: dbPath, readOnly: true, immutable: !hasWAL)
            defer { connection.close() }
            let hasMeta = try connection.prepare(
                "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'").firstRow { $0.int(0) } ?? 0
            guard hasMeta == 1 else {
                throw DataDirectoryError.foreignFile(path: dbPath, reason: "an SQLite database without Dyno's meta table")
            }
            meta = Dictionary(try connection.prepare("SELECT key, value FROM meta").rows { ($0.text(0), $0.text(1)) },
                              uniquingKeysWith: { first, _ in first })
            guard meta["app"] == Schema.appName else {
                throw DataDirectoryError.foreignFile(
                    path: dbPath, reason: "its meta table names app \(meta["app"].map { "'\($0)'" } ?? "(none)")")
            }
            for (key, expected) in seeder.metaValues where key != "app" {
                let found = meta[key] ?? "(none)"
                if key == "schema_version", found == "1" {
                    needsMigration = true
                } else if found != expected {
                    throw DataDirectoryError.mismatch(path: dbPath, key: key, expected: expected, found: found)
                }
            }
            if !needsMigration { counts = try TableCounts.count(on: connection) }
        } catch let error as DataDirectoryError {
            throw error
        } catch let error as SQLiteError {
            throw DataDirectoryError.corruptDatabase(path: dbPath, reason: error.message)
        }
        if needsMigration {
            // Schema 1 → 2 adds the maintained counts (a few seconds at scale 1), in one transaction.
            progress(SeedProgress(phase: "migrate", done: 0, total: 1))
            do {
                let connection = try SQLiteConnection(path: dbPath)
                defer { connection.close() }
                _ = try MaintainedCounts.migrateFromVersion1(on: connection)
                counts = try TableCounts.count(on: connection)
            } catch {
                throw DataDirectoryError.migrationFailed(path: dbPath, reason: String(describing: error))
            }
            progress(SeedProgress(phase: "migrate", done: 1, total: 1))
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: dbPath)[.size] as? NSNumber)?.int64Value ?? 0
        return DatabaseFile(path: dbPath, seed: seeder.seed, scale: seeder.scale, counts: counts, seededNow: false,
                            seedingDuration: nil, sizeBytes: size)
    }

    /// Rejects files that are not SQLite at all before SQLite sees them (an empty file would otherwise be taken
    /// for an empty database and written to).
    private func checkHeader(_ dbPath: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dbPath, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DataDirectoryError.foreignFile(path: dbPath, reason: "it is a directory")
        }
        guard let handle = FileHandle(forReadingAtPath: dbPath) else {
            throw DataDirectoryError.foreignFile(path: dbPath, reason: "it cannot be read")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        let magic = Data("SQLite format 3\u{0}".utf8)
        guard header.count == 100, header.prefix(16) == magic else {
            let reason = header.isEmpty ? "the file is empty" : "no SQLite header"
            throw DataDirectoryError.foreignFile(path: dbPath, reason: reason)
        }
    }

    // MARK: Seeding

    private func seedFile(at temporary: String, seeder: Seeder, hashPassword: (String) -> String,
                          progress: (SeedProgress) -> Void) throws {
        Self.removeDatabaseFiles(temporary)
        let connection = try SQLiteConnection(path: temporary, create: true, defaultPragmas: false)
        // No journal and no syncs while filling a private file: a crash leaves only a temp file, deleted next start.
        try connection.execute("""
            PRAGMA journal_mode=OFF;
            PRAGMA synchronous=OFF;
            PRAGMA cache_size=-262144;
            PRAGMA temp_store=MEMORY
            """)
        let passwordHash = hashPassword(Seeder.seededPassword)
        _ = try seeder.seed(into: connection, passwordHash: passwordHash, progress: progress)
        // WAL is recorded in the file header, so servers start in WAL without converting the file.
        try connection.execute("PRAGMA journal_mode=WAL")
        connection.close()
        // The 256 MiB page cache just freed would otherwise stay in this process's RssAnon for good.
        ProcessMemory.returnFreedHeap()
        // Make the content durable before the rename publishes it.
        let fd = open(temporary, O_RDONLY)
        guard fd >= 0, fsync(fd) == 0 else {
            if fd >= 0 { close(fd) }
            throw DataDirectoryError.seedingFailed(path: temporary, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    private func createDirectoryIfNeeded() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw DataDirectoryError.unusableDirectory(path: path, reason: "it exists and is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw DataDirectoryError.unusableDirectory(path: path, reason: error.localizedDescription)
        }
    }

    /// Deletes temporary seeding files left by processes that no longer run (an interrupted seed).
    private func removeStaleSeedingFiles() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names where name.hasPrefix(Self.seedingPrefix) {
            let pidText = name.dropFirst(Self.seedingPrefix.count).prefix(while: \.isNumber)
            guard let pid = Int32(pidText), !(kill(pid, 0) == 0 || errno == EPERM) else { continue }
            unlink((path as NSString).appendingPathComponent(name))
        }
    }

    /// Removes a database file and its journal side files.
    static func removeDatabaseFiles(_ file: String) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            unlink(file + suffix)
        }
    }
}
