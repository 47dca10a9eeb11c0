// Linux system calls the server needs, through the CLinuxShim C target (Swift's Glibc module does not import
// <sys/epoll.h>, <sys/eventfd.h> or accept4).
import CLinuxShim
import Glibc

/// Thin, typed wrappers over epoll, eventfd and accept4 (Linux only).
enum ServerSys {
    static let epollIn = DYNO_EPOLLIN
    static let epollOut = DYNO_EPOLLOUT
    static let epollErr = DYNO_EPOLLERR
    static let epollHup = DYNO_EPOLLHUP
    static let epollRdHup = DYNO_EPOLLRDHUP
    static let epollExclusive = DYNO_EPOLLEXCLUSIVE

    /// Bytes per event in an `epollWait` buffer (packed 12 on x86_64, 16 elsewhere).
    static let eventStride = Int(dyno_epoll_event_size())

    static func epollCreate() -> Int32 { dyno_epoll_create() }

    static func eventFD() -> Int32 { dyno_eventfd() }

    /// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC, so a new connection costs one syscall, not three.
    static func accept(_ fd: Int32) -> Int32 { dyno_accept_nonblocking(fd) }

    @discardableResult
    static func epollAdd(_ epfd: Int32, fd: Int32, events: UInt32) -> Int32 {
        control(epfd, op: DYNO_EPOLL_CTL_ADD, fd: fd, events: events)
    }

    @discardableResult
    static func epollModify(_ epfd: Int32, fd: Int32, events: UInt32) -> Int32 {
        control(epfd, op: DYNO_EPOLL_CTL_MOD, fd: fd, events: events)
    }

    @discardableResult
    static func epollDelete(_ epfd: Int32, fd: Int32) -> Int32 {
        control(epfd, op: DYNO_EPOLL_CTL_DEL, fd: fd, events: 0)
    }

    private static func control(_ epfd: Int32, op: Int32, fd: Int32, events: UInt32) -> Int32 {
        // The data field carries the fd.
        dyno_epoll_ctl(epfd, op, fd, events, UInt64(UInt32(bitPattern: fd)))
    }

    /// Waits for events into `buffer` (sized `capacity * eventStride` bytes); returns the count or -1.
    static func epollWait(_ epfd: Int32, buffer: UnsafeMutableRawBufferPointer, capacity: Int,
                          timeoutMilliseconds: Int32) -> Int32 {
        dyno_epoll_wait(epfd, buffer.baseAddress!, Int32(capacity), timeoutMilliseconds)
    }

    /// The (events, fd) of the `index`-th event in an `epollWait` buffer.
    static func event(at index: Int, in buffer: UnsafeMutableRawBufferPointer) -> (events: UInt32, fd: Int32) {
        let base = UnsafeRawPointer(buffer.baseAddress!)
        return (dyno_epoll_event_flags(base, Int32(index)), Int32(truncatingIfNeeded: dyno_epoll_event_data(base, Int32(index))))
    }

    /// Monotonic time in nanoseconds (vDSO: no syscall).
    static func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
