// Linux system calls Swift's Glibc module does not import (<sys/epoll.h>, <sys/eventfd.h>, accept4 behind
// _GNU_SOURCE, the variadic prctl). The HTTP server, the HTTP client and the load generator share these.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// `struct epoll_event` is packed on x86_64 and not elsewhere: Swift never sees its layout, only these accessors
/// over an opaque buffer of `dyno_epoll_event_size()`-byte events.
size_t dyno_epoll_event_size(void);
uint32_t dyno_epoll_event_flags(const void *events, int index);
uint64_t dyno_epoll_event_data(const void *events, int index);

int dyno_epoll_create(void);                        // EPOLL_CLOEXEC
int dyno_epoll_ctl(int epfd, int op, int fd, uint32_t flags, uint64_t data);
int dyno_epoll_wait(int epfd, void *events, int max_events, int timeout_ms);
/// Nanosecond-precision wait (epoll_pwait2, Linux ≥ 5.11); -1 with errno ENOSYS where unavailable.
/// A negative timeout waits forever.
int dyno_epoll_pwait2(int epfd, void *events, int max_events, int64_t timeout_ns);
int dyno_eventfd(void);                              // EFD_CLOEXEC | EFD_NONBLOCK
/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC: one syscall per accepted connection instead of three.
int dyno_accept_nonblocking(int listen_fd);
/// prctl(PR_SET_TIMERSLACK): how late the calling thread's timed waits may end (Linux default 50 µs).
int dyno_set_timer_slack(unsigned long nanoseconds);
/// Puts the calling thread under SCHED_IDLE (it runs only on CPU no other thread wants; a waking normal thread
/// preempts it at once). 0 on success, else an errno value.
int dyno_thread_sched_idle(void);

/// A TCP server's waiting work as the kernel sees it (IPv4 sockets whose local port is the server's).
struct dyno_tcp_server_queues {
    /// Connections accepted and open.
    int32_t established;
    /// Open connections holding bytes (requests) the server has not read yet.
    int32_t connections_with_unread_bytes;
    /// Connections the kernel completed that the server has not accepted yet (the listen backlog in use).
    int32_t accept_queue;
};
/// One NETLINK_SOCK_DIAG dump filtered by local port in the kernel (what `ss` uses). 0, or -1 with errno
/// (EPERM or EACCES where sock_diag is not allowed, e.g. some sandboxes). With `include_established` 0 only the
/// listening socket is dumped (accept_queue; the other fields stay 0): the kernel then skips its walk of every
/// bucket of the established-socket hash table, which costs milliseconds however few sockets there are.
int dyno_read_tcp_server_queues(uint16_t port, int include_established, struct dyno_tcp_server_queues *out);

extern const int DYNO_EPOLL_CTL_ADD, DYNO_EPOLL_CTL_MOD, DYNO_EPOLL_CTL_DEL;
extern const uint32_t DYNO_EPOLLIN, DYNO_EPOLLOUT, DYNO_EPOLLERR, DYNO_EPOLLHUP, DYNO_EPOLLRDHUP, DYNO_EPOLLEXCLUSIVE;

/// glibc's heap figures (`mallinfo2`, summed over every arena): bytes handed out by malloc and not freed yet
/// (`uordblks` + `hblkhd`), and free bytes malloc keeps in its arenas (`fordblks`). Memory probes read these so
/// that page cache and mapped files are never mistaken for a leak.
void dyno_heap_statistics(uint64_t *in_use_bytes, uint64_t *free_bytes);
/// Gives the heap's free pages back to the OS (`malloc_trim(0)`); 1 when some were released. glibc keeps freed
/// memory in its arenas otherwise, so a big temporary allocation stays in RssAnon after it is freed.
int dyno_heap_trim(void);
/// Caps glibc's malloc arenas (`mallopt(M_ARENA_MAX)`) and fixes the size from which an allocation gets its own
/// mapping (`M_MMAP_THRESHOLD`, which also turns glibc's dynamic threshold off); 1 on success.
int dyno_heap_tune(int max_arenas, int mmap_threshold_bytes);
