// Plain joinable OS threads for the serving loops.
import Glibc

/// Spawns and joins pthreads. The serving loops block in epoll_wait, so they must not run on Dispatch or
/// the Swift concurrency pool (2 threads here: one blocked loop would stall half of it).
enum ServerThread {
    private final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts a thread running `body`; returns its id for `join`.
    static func spawn(_ body: @escaping @Sendable () -> Void) throws -> pthread_t {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let result = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw HTTPServerError("pthread_create failed: error \(result)")
        }
        return thread
    }

    static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }
}

/// A server start-up failure, naming what failed (address, system call, errno).
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
