// A thin epoll wrapper for one client event-loop thread.
//
// WHY @_silgen_name: Swift's Glibc module map does not include <sys/epoll.h> (the server's ServerSystemCalls.swift
// does the same, privately). Arguments are Int32/UInt32/pointers, passed identically by Swift and C on x86_64 and
// arm64; constants are the Linux ABI values. A system-library target over <sys/epoll.h> would be the clean fix.
#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("epoll_create1")
private func clientEpollCreate1(_ flags: Int32) -> Int32
@_silgen_name("epoll_ctl")
private func clientEpollCtl(_ epfd: Int32, _ op: Int32, _ fd: Int32, _ event: UnsafeMutableRawPointer?) -> Int32
@_silgen_name("epoll_wait")
private func clientEpollWait(_ epfd: Int32, _ events: UnsafeMutableRawPointer, _ maxEvents: Int32,
                             _ timeout: Int32) -> Int32
@_silgen_name("epoll_pwait2")
private func clientEpollPwait2(_ epfd: Int32, _ events: UnsafeMutableRawPointer, _ maxEvents: Int32,
                               _ timeout: UnsafeRawPointer?, _ sigmask: UnsafeRawPointer?) -> Int32

/// One epoll instance and its event buffer, owned by a single thread (not `Sendable`).
///
/// Each registered descriptor carries a 64-bit token (the load generator uses the connection's slot index).
/// `wait` waits with nanosecond precision via `epoll_pwait2` (Linux ≥ 5.11), falling back to `epoll_wait`
/// (millisecond precision, rounded up) when the kernel lacks it.
public final class ClientPoller {
    /// Readable (or peer closed).
    public static let readable: UInt32 = 0x001 | 0x2000        // EPOLLIN | EPOLLRDHUP
    /// Writable (connect finished, or room for a pending write).
    public static let writable: UInt32 = 0x004                 // EPOLLOUT
    /// Error or hang-up (always reported by epoll).
    public static let failure: UInt32 = 0x008 | 0x010          // EPOLLERR | EPOLLHUP

    /// `struct epoll_event` is packed (12 bytes: u32 events, u64 data) on x86_64, 16 bytes elsewhere.
    #if arch(x86_64)
    private static let stride = 12
    #else
    private static let stride = 16
    #endif
    private static let dataOffset = stride - 8

    private let epfd: Int32
    private let events: UnsafeMutableRawPointer
    /// How many events one `wait` can return (default 256: batches syscalls under load).
    public let capacity: Int
    private var hasPwait2 = true

    public init(capacity: Int = 256) throws(HTTPClientError) {
        epfd = clientEpollCreate1(0o2000000)   // EPOLL_CLOEXEC
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
        control(1, fd, token: token, interest: interest)   // EPOLL_CTL_ADD
    }

    /// Changes the interest set of a registered `fd`.
    @discardableResult
    public func modify(_ fd: Int32, token: UInt64, interest: UInt32) -> Bool {
        control(3, fd, token: token, interest: interest)   // EPOLL_CTL_MOD
    }

    /// Unregisters `fd` (closing it also does this).
    public func remove(_ fd: Int32) {
        var event = (UInt64(0), UInt64(0))
        _ = withUnsafeMutableBytes(of: &event) { clientEpollCtl(epfd, 2, fd, $0.baseAddress) }   // EPOLL_CTL_DEL
    }

    private func control(_ op: Int32, _ fd: Int32, token: UInt64, interest: UInt32) -> Bool {
        var event = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &event) { raw in
            raw.storeBytes(of: interest, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: token, toByteOffset: Self.dataOffset, as: UInt64.self)
            return clientEpollCtl(epfd, op, fd, raw.baseAddress) == 0
        }
    }

    /// Waits up to `timeoutNanoseconds` (negative: forever; 0: poll) and returns how many events are ready;
    /// read them with `token(at:)` and `events(at:)`. Interrupted waits return 0.
    public func wait(timeoutNanoseconds: Int64) -> Int {
        var n: Int32
        if hasPwait2 {
            if timeoutNanoseconds < 0 {
                n = clientEpollPwait2(epfd, events, Int32(capacity), nil, nil)
            } else {
                var ts = timespec(tv_sec: Int(timeoutNanoseconds / 1_000_000_000),
                                  tv_nsec: Int(timeoutNanoseconds % 1_000_000_000))
                n = clientEpollPwait2(epfd, events, Int32(capacity), &ts, nil)
            }
            if n < 0 && errno == ENOSYS {
                hasPwait2 = false
                return wait(timeoutNanoseconds: timeoutNanoseconds)
            }
        } else {
            let ms = timeoutNanoseconds < 0 ? -1 : Int32(min((timeoutNanoseconds + 999_999) / 1_000_000, 1 << 30))
            n = clientEpollWait(epfd, events, Int32(capacity), ms)
        }
        return n < 0 ? 0 : Int(n)
    }

    /// The token of ready event `index` (0..<count from the last `wait`).
    @inline(__always)
    public func token(at index: Int) -> UInt64 {
        events.loadUnaligned(fromByteOffset: index * Self.stride + Self.dataOffset, as: UInt64.self)
    }

    /// The event bits of ready event `index`.
    @inline(__always)
    public func events(at index: Int) -> UInt32 {
        events.loadUnaligned(fromByteOffset: index * Self.stride, as: UInt32.self)
    }
}
