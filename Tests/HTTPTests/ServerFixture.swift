import Synchronization
@testable import HTTP

/// Thread-safe box for state shared between a test and handlers running on serving threads.
final class ServerTestBox<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    func update<R>(_ body: (inout Value) -> R) -> R { storage.withLock { body(&$0) } }
    var value: Value { storage.withLock { $0 } }
}

/// Starts a server on 127.0.0.1 at a free port (port 0) with `threads` serving loops and the configuration's
/// defaults unless `configure` changes them. The test stops it.
func startTestServer(threads: Int, configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                     handler: @escaping HTTPHandler) throws -> HTTPServer {
    var configuration = HTTPServerConfiguration()
    configuration.threads = threads
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, handler: handler)
    try server.start()
    return server
}
