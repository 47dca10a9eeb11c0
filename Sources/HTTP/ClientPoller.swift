// A thin epoll wrapper for one client event-loop thread, over the CLinuxShim C target (Swift's Glibc module does
// not import <sys/epoll.h>).
import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// One epoll instance and its event buffer, owned by a single thread (not `Sendable`).
///
/// Each registered descriptor carries a 64-bit token (the load generator uses the connection's slot index).
/// `wait` waits with nanosecond precision via `epoll_pwait2` (Linux ≥ 5.11), falling back to `epoll_wait`
/// (millisecond precision, rounded up) when the kernel lacks it.
public final class ClientPoller {
    /// Readable (or peer closed).
    public static let readable: UInt32 = DYNO_EPOLLIN | DYNO_EPOLLRDHUP
    /// Writable (connect finished, or room for a pending write).
    public static let writable: UInt32 = DYNO_EPOLLOUT
    /// Error or hang-up (always reported by epoll).
    public static let failure: UInt32 = DYNO_EPOLLERR | DYNO_EPOLLHUP

    /// Bytes per event (packed 12 on x86_64, 16 elsewhere); the shim reads the fields.
    private static let stride = Int(dyno_epoll_event_size())

    private let epfd: Int32
    private let events: UnsafeMutableRawPointer
    /// How many events one `wait` can return (default 256: batches syscalls under load).
    public let capacity: Int
    private var hasPwait2 = true

    public init(capacity: Int = 256) throws(HTTPClientError) {
        epfd = dyno_epoll_create()
        guard epfd >= 0 else {
            throw HTTPClientError(.other, "epoll_create1 failed: \(ClientSocket.describe(errno: errno))")
        }
        self.capacity = capacity
        events = .allocate(byteCount: capacity * Self.stride, alignment: 8)
    }

    deinit {
        close(epfd)
        events.deallocate()
    }

    /// Registers `fd` for `interest` (level-triggered).
    @discardableResult
    public func add(_ fd: Int32, token: UInt64, interest: UInt32) -> Bool {
        control(DYNO_EPOLL_CTL_ADD, fd, token: token, interest: interest)
    }

    /// Changes the interest set of a registered `fd`.
    @discardableResult
    public func modify(_ fd: Int32, token: UInt64, interest: UInt32) -> Bool {
        control(DYNO_EPOLL_CTL_MOD, fd, token: token, interest: interest)
    }

    /// Unregisters `fd` (closing it also does this).
    public func remove(_ fd: Int32) {
        _ = dyno_epoll_ctl(epfd, DYNO_EPOLL_CTL_DEL, fd, 0, 0)
    }

    private func control(_ op: Int32, _ fd: Int32, token: UInt64, interest: UInt32) -> Bool {
        dyno_epoll_ctl(epfd, op, fd, interest, token) == 0
    }

    /// Waits up to `timeoutNanoseconds` (negative: forever; 0: poll) and returns how many events are ready;
    /// read them with `token(at:)` and `events(at:)`. Interrupted waits return 0.
    public func wait(timeoutNanoseconds: Int64) -> Int {
        var n: Int32
        if hasPwait2 {
            n = dyno_epoll_pwait2(epfd, events, Int32(capacity), timeoutNanoseconds)
            if n < 0 && errno == ENOSYS {
                hasPwait2 = false
                return wait(timeoutNanoseconds: timeoutNanoseconds)
            }
        } else {
            let ms = timeoutNanoseconds < 0 ? -1 : Int32(min((timeoutNanoseconds + 999_999) / 1_000_000, 1 << 30))
            n = dyno_epoll_wait(epfd, events, Int32(capacity), ms)
        }
        return n < 0 ? 0 : Int(n)
    }

    /// The token of ready event `index` (0..<count from the last `wait`).
    @inline(__always)
    public func token(at index: Int) -> UInt64 {
        dyno_epoll_event_data(events, Int32(index))
    }

    /// The event bits of ready event `index`.
    @inline(__always)
    public func events(at index: Int) -> UInt32 {
        dyno_epoll_event_flags(events, Int32(index))
    }
}
