import Glibc
import HTTP
import Synchronization
import Testing
import TestSupport
@testable import DemoBackend

/// Issue 14: the backend claims its address before it opens or seeds the database.
@Suite("DemoBackend binds before seeding")
struct BindBeforeSeedTests {
    private func configuration(directory: TemporaryDirectory, host: String = "127.0.0.1", port: Int) -> DemoBackendConfiguration {
        var configuration = DemoBackendConfiguration()
        configuration.dataDirectory = directory.file("data")
        configuration.scale = 0.01
        configuration.host = host
        configuration.port = port
        configuration.serverThreads = 1
        return configuration
    }

    private func seedingReports(_ configuration: DemoBackendConfiguration) -> (error: String?, progress: [String]) {
        let lines = ServerTestLines()
        do {
            let backend = try DemoBackend.assemble(configuration, progress: { lines.append($0) }).backend
            backend.stop()
            return (nil, lines.all)
        } catch {
            return ("\(error)", lines.all)
        }
    }

    @Test func aBusyPortFailsBeforeAnySeeding() throws {
        let directory = try TemporaryDirectory(prefix: "dyno-bind-test")
        defer { directory.remove() }
        let taken = try HTTPListener(host: "127.0.0.1", port: 0)
        defer { taken.close() }
        let (error, progress) = seedingReports(configuration(directory: directory, port: taken.port))
        #expect(error?.contains("in use") == true)
        #expect(progress.isEmpty)
        #expect(access(directory.file("data/demo.sqlite"), F_OK) != 0)
    }

    @Test func aBadHostFailsBeforeAnySeeding() throws {
        let directory = try TemporaryDirectory(prefix: "dyno-bind-test")
        defer { directory.remove() }
        let (error, progress) = seedingReports(configuration(directory: directory, host: "300.1.2.3", port: 0))
        #expect(error?.contains("300.1.2.3") == true)
        #expect(progress.isEmpty)
        #expect(access(directory.file("data/demo.sqlite"), F_OK) != 0)
    }
}

/// Progress lines collected from any thread.
private final class ServerTestLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
