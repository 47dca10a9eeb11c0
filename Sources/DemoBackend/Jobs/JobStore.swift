import Glibc

/// One background job as stored.
struct JobRecord: Sendable, Equatable {
    enum Status: String, Sendable, CaseIterable {
        /// Waiting for its first run.
        case queued
        /// A worker has it now.
        case running
        /// Finished; `result` holds its output.
        case done
        /// The last attempt failed; another is scheduled (`runAtMilliseconds`).
        case failed
        /// Given up after the retry policy's last attempt.
        case dead
    }

    var id: Int64
    var kind: String
    var payload: String
    var status: Status
    /// Runs started so far (a run cut short by a crash counts too).
    var attempts: Int
    var result: String?
    var lastError: String?
    /// Wall-clock Unix milliseconds (they must survive a restart).
    var enqueuedAtMilliseconds: Int64
    var runAtMilliseconds: Int64
    var finishedAtMilliseconds: Int64?
}

/// The durable job table, in its own SQLite file (`jobs.sqlite` next to the demo database), so job bookkeeping never
/// takes the demo database's write lock. Not thread-safe: one store per thread (each worker opens its own).
///
/// Delivery is at-least-once: a job is `running` from the moment a worker claims it until its outcome is committed;
/// a process that dies in between leaves it `running`, and `requeueAbandoned()` (run at start-up) puts it back.
final class JobStore {
    let connection: SQLiteConnection

    init(path: String) throws {
        connection = try SQLiteConnection(path: path, create: true)
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS jobs (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                result TEXT,
                last_error TEXT,
                enqueued_at INTEGER NOT NULL,
                run_at INTEGER NOT NULL,
                finished_at INTEGER
            );
            CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (status, run_at)
            """)
    }

    func close() { connection.close() }

    /// Adds a queued job; returns its id.
    func enqueue(kind: String, payload: String, nowMilliseconds now: Int64) throws -> Int64 {
        let insert = try connection.prepare("""
            INSERT INTO jobs (kind, payload, status, enqueued_at, run_at) VALUES (?1, ?2, 'queued', ?3, ?3) RETURNING id
            """)
        try insert.bind(.text(kind), .text(payload), .int(now))
        guard let id = try insert.firstRow({ $0.int(0) }) else {
            throw SQLiteError(code: 1, message: "INSERT INTO jobs returned no id", sql: nil)
        }
        return id
    }

    /// Stores a job that already ran elsewhere (inline), as done after one attempt; returns its id.
    func insertFinished(kind: String, payload: String, result: String, nowMilliseconds now: Int64) throws -> Int64 {
        let insert = try connection.prepare("""
            INSERT INTO jobs (kind, payload, status, attempts, result, enqueued_at, run_at, finished_at)
            VALUES (?1, ?2, 'done', 1, ?3, ?4, ?4, ?4) RETURNING id
            """)
        try insert.bind(.text(kind), .text(payload), .text(result), .int(now))
        guard let id = try insert.firstRow({ $0.int(0) }) else {
            throw SQLiteError(code: 1, message: "INSERT INTO jobs returned no id", sql: nil)
        }
        return id
    }

    /// Atomically takes the oldest due job (queued, or failed with its retry time reached), marks it running and
    /// counts the attempt. Nil when none is due.
    func claimNext(nowMilliseconds now: Int64) throws -> JobRecord? {
        let claim = try connection.prepare("""
            UPDATE jobs SET status = 'running', attempts = attempts + 1
            WHERE id = (SELECT id FROM jobs WHERE status IN ('queued', 'failed') AND run_at <= ?1
                        ORDER BY run_at, id LIMIT 1)
            RETURNING \(Self.columns)
            """)
        try claim.bind(.int(now))
        return try claim.firstRow(Self.record)
    }

    /// Records a finished run. Only a job still `running` moves (a second delivery after a crash cannot undo a
    /// later outcome), which keeps completion idempotent.
    func complete(id: Int64, result: String, nowMilliseconds now: Int64) throws {
        let update = try connection.prepare("""
            UPDATE jobs SET status = 'done', result = ?2, last_error = NULL, finished_at = ?3
            WHERE id = ?1 AND status = 'running'
            """)
        try update.bind(.int(id), .text(result), .int(now))
        try update.run()
    }

    /// Records a failed run: retried at `retryAtMilliseconds`, or dead when that is nil.
    func fail(id: Int64, error: String, retryAtMilliseconds: Int64?, nowMilliseconds now: Int64) throws {
        let update = try connection.prepare("""
            UPDATE jobs SET status = ?2, last_error = ?3, run_at = COALESCE(?4, run_at),
                            finished_at = CASE WHEN ?4 IS NULL THEN ?5 ELSE NULL END
            WHERE id = ?1 AND status = 'running'
            """)
        try update.bind(.int(id), .text(retryAtMilliseconds == nil ? "dead" : "failed"), .text(error),
                        retryAtMilliseconds.map { .int($0) } ?? .null, .int(now))
        try update.run()
    }

    /// Puts jobs left `running` by a process that stopped without finishing them (a crash, `kill -9`) back in the
    /// queue; returns how many. Call it before any worker of this process starts.
    @discardableResult
    func requeueAbandoned() throws -> Int {
        let update = try connection.prepare("UPDATE jobs SET status = 'queued' WHERE status = 'running' RETURNING id")
        return try update.rows { $0.int(0) }.count
    }

    func job(id: Int64) throws -> JobRecord? {
        let select = try connection.prepare("SELECT \(Self.columns) FROM jobs WHERE id = ?1")
        try select.bind(.int(id))
        return try select.firstRow(Self.record)
    }

    /// When the next waiting job becomes due (Unix ms), nil when none waits.
    func nextRunAt() throws -> Int64? {
        let select = try connection.prepare("SELECT MIN(run_at) FROM jobs WHERE status IN ('queued', 'failed')")
        return try select.firstRow { $0.isNull(0) ? nil : $0.int(0) } ?? nil
    }

    /// Jobs per status.
    func counts() throws -> [JobRecord.Status: Int] {
        let select = try connection.prepare("SELECT status, COUNT(*) FROM jobs GROUP BY status")
        var counts: [JobRecord.Status: Int] = [:]
        try select.forEachRow { row in
            if let status = JobRecord.Status(rawValue: row.text(0)) { counts[status] = Int(row.int(1)) }
        }
        return counts
    }

    private static let columns =
        "id, kind, payload, status, attempts, result, last_error, enqueued_at, run_at, finished_at"

    private static func record(_ row: SQLiteStatement) -> JobRecord {
        JobRecord(id: row.int(0), kind: row.text(1), payload: row.text(2),
                  status: JobRecord.Status(rawValue: row.text(3)) ?? .failed, attempts: Int(row.int(4)),
                  result: row.optionalText(5), lastError: row.optionalText(6), enqueuedAtMilliseconds: row.int(7),
                  runAtMilliseconds: row.int(8), finishedAtMilliseconds: row.isNull(9) ? nil : row.int(9))
    }

    /// Wall-clock Unix milliseconds.
    static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
