@testable import DemoBackend
import Glibc
import HTTP
import Testing
import TestSupport

/// The job queue across a real `kill -9`: a separate `dyno serve` process (jobs=queued) gets report jobs, is frozen
/// (SIGSTOP) at a moment its job table shows a job running, and killed with SIGKILL; a new process on the same data
/// directory must finish every job, none lost, none duplicated, the interrupted ones run again with the same result.
/// Deterministic: the kill happens only at an observed state (the process is frozen while the table is read), and
/// every wait is on a condition.
@Suite("Jobs: kill -9 of a real dyno serve loses no job", .serialized, .enabled(if: dynoBinary != nil))
struct JobQueueKillTests {
    static let host = "127.0.0.1"

    @Test func killNineMidWorkLosesNoJobAndRerunsTheInterruptedOnes() throws {
        let directory = try TemporaryDirectory(prefix: "dyno-kill9")
        defer { directory.remove() }
        let jobsPath = directory.file("jobs.sqlite")

        var (server, port) = try Self.serve(directory, run: 1)
        let token = try Self.registerReader(port: port)
        var ids: [Int64] = []
        func enqueue(_ count: Int) throws {
            for _ in 0..<count {
                let response = try Self.send("POST", "/api/reports", port: port, token: token)
                try #require(response.status == 202, "POST /api/reports: \(response.status)")
                let location = try #require(response.headers["Location"])
                ids.append(try #require(Int64(location.split(separator: "/").last ?? "")))
            }
        }
        try enqueue(8)

        // Freeze the server when a job is running (and one finished, so the restart must leave done jobs alone);
        // kill it only if the frozen table really shows a running job, else let it go on (more jobs if all ran).
        var interrupted: [Int64] = []
        var finishedBeforeKill: [Int64] = []
        let killed = try waitUntilBlocking(deadline: .seconds(300), interval: .milliseconds(5)) {
            let before = try Self.jobs(jobsPath)
            if before.allSatisfy({ $0.status == .done }) { try enqueue(4); return false }
            guard before.contains(where: { $0.status == .running }), before.contains(where: { $0.status == .done })
            else { return false }
            server.kill(SIGSTOP)
            server.waitStopped()
            let frozen = try Self.jobs(jobsPath)
            interrupted = frozen.filter { $0.status == .running }.map(\.id)
            guard !interrupted.isEmpty else {
                server.kill(SIGCONT)
                return false
            }
            finishedBeforeKill = frozen.filter { $0.status == .done }.map(\.id)
            server.kill(SIGKILL)
            let status = server.wait()
            #expect(status & 0x7f == SIGKILL, "ended by SIGKILL")
            return true
        }
        try #require(killed, "never saw a running job to kill; serve stderr: \(server.errorOutput)")
        let atKill = try Self.jobs(jobsPath)
        #expect(atKill.count == ids.count, "every enqueued job is in the table after the kill")

        (server, port) = try Self.serve(directory, run: 2)
        let allDone = try waitUntilBlocking(deadline: .seconds(300), interval: .milliseconds(20)) {
            try Self.jobs(jobsPath).allSatisfy { $0.status == .done }
        }
        let statuses = try Self.jobs(jobsPath).map(\.status)
        try #require(allDone, "not every job finished after the restart: \(statuses)")

        let after = try Self.jobs(jobsPath)
        #expect(after.map(\.id).sorted() == ids.sorted(), "none lost, none duplicated")
        let results = Set(after.compactMap(\.result))
        #expect(results.count == 1, "the same viewer's report is the same whichever run made it (idempotent)")
        #expect(after.allSatisfy { $0.result != nil && $0.lastError == nil })
        for id in interrupted {
            let job = try #require(after.first { $0.id == id })
            #expect(job.attempts >= 2, "job \(id) was running at the kill: it ran again after the restart")
        }
        for id in finishedBeforeKill {
            let job = try #require(after.first { $0.id == id })
            let before = try #require(atKill.first { $0.id == id })
            #expect(job == before, "job \(id) was done before the kill and is left alone")
        }
        // The restarted server answers for them too (a fresh login: the token belongs to the same user).
        let again = try Self.login(port: port)
        for id in ids {
            let response = try Self.send("GET", "/api/reports/\(id)", port: port, token: again)
            #expect(response.status == 200)
            let report = try JSONParser.parse(response.body)["report"]
            #expect(report?["status"]?.stringValue == "done")
        }
        server.kill(SIGTERM)
        let status = server.wait()
        #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 0, "the restarted server stops cleanly: \(server.errorOutput)")
    }

    // MARK: Helpers

    /// Starts `dyno serve` on a free port with queued jobs and waits for it to print its URL.
    static func serve(_ directory: TemporaryDirectory, run: Int) throws -> (ChildProcess, Int) {
        let binary = try #require(dynoBinary)
        let child = try ChildProcess(
            [binary, "serve", "--port", "0", "--data", directory.path, "--scale", "0.01", "--threads", "2",
             "--knob", "jobs=queued"],
            stdoutPath: directory.file("serve\(run).out"), stderrPath: directory.file("serve\(run).err"))
        var port: Int?
        let up = waitUntilBlocking(deadline: .seconds(300), interval: .milliseconds(10)) {
            port = Self.port(in: child.output)
            return port != nil
        }
        try #require(up, "dyno serve did not print its URL; stderr: \(child.errorOutput)")
        return (child, port!)
    }

    /// The port in "dyno serve: Conduit API on http://127.0.0.1:PORT/api".
    static func port(in output: String) -> Int? {
        guard let range = output.range(of: "http://\(host):") else { return nil }
        return Int(output[range.upperBound...].prefix { $0.isNumber })
    }

    static let email = "kill9@example.com"
    static let password = "kill9-password"

    /// Registers a reader who follows a few seeded authors (so each report has articles to work on).
    static func registerReader(port: Int) throws -> String {
        let body = #"{"user":{"username":"kill9","email":"\#(email)","password":"\#(password)"}}"#
        let registered = try send("POST", "/api/users", port: port, body: body)
        try #require(registered.status == 201 || registered.status == 200, "register: \(registered.status)")
        let user = try JSONParser.parse(registered.body)["user"]
        let token = try #require(user?["token"]?.stringValue)
        let page = try JSONParser.parse(try send("GET", "/api/articles?limit=100", port: port).body)
        var followed = Set<String>()
        for index in 0..<100 where followed.count < 6 {
            guard let name = page["articles"]?[index]?["author"]?["username"]?.stringValue,
                  followed.insert(name).inserted else { continue }
            #expect(try send("POST", "/api/profiles/\(name)/follow", port: port, token: token).status == 200)
        }
        return token
    }

    static func login(port: Int) throws -> String {
        let body = #"{"user":{"email":"\#(email)","password":"\#(password)"}}"#
        let response = try send("POST", "/api/users/login", port: port, body: body)
        let user = try JSONParser.parse(response.body)["user"]
        return try #require(user?["token"]?.stringValue)
    }

    static func send(_ method: String, _ path: String, port: Int, token: String? = nil,
                     body: String? = nil) throws -> HTTPResponse {
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Token \(token)") }
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        return try HTTPClient.send(HTTPRequest(method: method, target: path, headers: headers,
                                               body: Array((body ?? "").utf8)),
                                   to: host, port: port, timeout: .seconds(60))
    }

    /// A job as the test reads it from the table.
    struct Row: Equatable {
        var id: Int64
        var status: JobRecord.Status?
        var attempts: Int64
        var result: String?
        var lastError: String?
        var finishedAt: Int64?
    }

    /// Every job in the table, through a read-only connection of this process (WAL: a reader never waits for the
    /// writer, even one frozen mid-transaction).
    static func jobs(_ path: String) throws -> [Row] {
        let connection = try SQLiteConnection(path: path, readOnly: true)
        defer { connection.close() }
        let select = try connection.prepare(
            "SELECT id, status, attempts, result, last_error, finished_at FROM jobs ORDER BY id")
        return try select.rows {
            Row(id: $0.int(0), status: JobRecord.Status(rawValue: $0.text(1)), attempts: $0.int(2),
                result: $0.optionalText(3), lastError: $0.optionalText(4), finishedAt: $0.isNull(5) ? nil : $0.int(5))
        }
    }
}
