// Linux system calls the server needs that Swift's Glibc module does not import.
//
// WHY @_silgen_name: Swift's Glibc module map does not include <sys/epoll.h> or <sys/eventfd.h>, and
// `accept4` is hidden behind _GNU_SOURCE. The clean fix is a tiny system-library target (a module map over
// those headers) in Package.swift, which this helper does not own; until the lead adds one, these
// declarations bind the C symbols directly. All arguments are Int32/UInt32/pointers, which the Swift and C
// calling conventions pass identically on x86_64 and arm64. Constants are the Linux ABI values.
import Glibc

@_silgen_name("epoll_create1")
private func c_epoll_create1(_ flags: Int32) -> Int32
@_silgen_name("epoll_ctl")
private func c_epoll_ctl(_ epfd: Int32, _ op: Int32, _ fd: Int32, _ event: UnsafeMutableRawPointer?) -> Int32
@_silgen_name("epoll_wait")
private func c_epoll_wait(_ epfd: Int32, _ events: UnsafeMutableRawPointer, _ maxEvents: Int32,
                          _ timeout: Int32) -> Int32
@_silgen_name("eventfd")
private func c_eventfd(_ initval: UInt32, _ flags: Int32) -> Int32
@_silgen_name("accept4")
private func c_accept4(_ fd: Int32, _ addr: UnsafeMutableRawPointer?, _ len: UnsafeMutableRawPointer?,
                       _ flags: Int32) -> Int32

/// Thin, typed wrappers over epoll, eventfd and accept4 (Linux only).
enum ServerSys {
    static let epollIn: UInt32 = 0x001
    static let epollOut: UInt32 = 0x004
    static let epollErr: UInt32 = 0x008
    static let epollHup: UInt32 = 0x010
    static let epollRdHup: UInt32 = 0x2000
    static let epollExclusive: UInt32 = 1 << 28

    private static let ctlAdd: Int32 = 1
    private static let ctlDel: Int32 = 2
    private static let ctlMod: Int32 = 3
    private static let cloexec: Int32 = 0o2000000
    private static let nonblock: Int32 = 0o4000

    /// `struct epoll_event` is packed (12 bytes) on x86_64 and naturally aligned (16 bytes) elsewhere.
    #if arch(x86_64)
    static let eventStride = 12
    private static let dataOffset = 4
    #else
    static let eventStride = 16
    private static let dataOffset = 8
    #endif

    static func epollCreate() -> Int32 { c_epoll_create1(cloexec) }

    static func eventFD() -> Int32 { c_eventfd(0, cloexec | nonblock) }

    /// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC, so a new connection costs one syscall, not three.
    static func accept(_ fd: Int32) -> Int32 { c_accept4(fd, nil, nil, cloexec | nonblock) }

    @discardableResult
    static func epollAdd(_ epfd: Int32, fd: Int32, events: UInt32) -> Int32 {
        control(epfd, op: ctlAdd, fd: fd, events: events)
    }

    @discardableResult
    static func epollModify(_ epfd: Int32, fd: Int32, events: UInt32) -> Int32 {
        control(epfd, op: ctlMod, fd: fd, events: events)
    }

    @discardableResult
    static func epollDelete(_ epfd: Int32, fd: Int32) -> Int32 {
        control(epfd, op: ctlDel, fd: fd, events: 0)
    }

    private static func control(_ epfd: Int32, op: Int32, fd: Int32, events: UInt32) -> Int32 {
        // 16 bytes covers both layouts; the data field carries the fd.
        var storage: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &storage) { raw in
            raw.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: UInt64(UInt32(bitPattern: fd)), toByteOffset: dataOffset, as: UInt64.self)
            return c_epoll_ctl(epfd, op, fd, raw.baseAddress)
        }
    }

    /// Waits for events into `buffer` (sized `capacity * eventStride` bytes); returns the count or -1.
    static func epollWait(_ epfd: Int32, buffer: UnsafeMutableRawBufferPointer, capacity: Int,
                          timeoutMilliseconds: Int32) -> Int32 {
        c_epoll_wait(epfd, buffer.baseAddress!, Int32(capacity), timeoutMilliseconds)
    }

    /// The (events, fd) of the `index`-th event in an `epollWait` buffer.
    static func event(at index: Int, in buffer: UnsafeMutableRawBufferPointer) -> (events: UInt32, fd: Int32) {
        let base = index * eventStride
        let events = buffer.loadUnaligned(fromByteOffset: base, as: UInt32.self)
        let data = buffer.loadUnaligned(fromByteOffset: base + dataOffset, as: UInt64.self)
        return (events, Int32(truncatingIfNeeded: data))
    }

    /// Monotonic time in nanoseconds (vDSO: no syscall).
    static func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
