#define _GNU_SOURCE
#include "CLinuxShim.h"
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

const int DYNO_EPOLL_CTL_ADD = EPOLL_CTL_ADD, DYNO_EPOLL_CTL_MOD = EPOLL_CTL_MOD, DYNO_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
const uint32_t DYNO_EPOLLIN = EPOLLIN, DYNO_EPOLLOUT = EPOLLOUT, DYNO_EPOLLERR = EPOLLERR, DYNO_EPOLLHUP = EPOLLHUP,
    DYNO_EPOLLRDHUP = EPOLLRDHUP, DYNO_EPOLLEXCLUSIVE = EPOLLEXCLUSIVE;

size_t dyno_epoll_event_size(void) { return sizeof(struct epoll_event); }

uint32_t dyno_epoll_event_flags(const void *events, int index) {
    return ((const struct epoll_event *)events)[index].events;
}

uint64_t dyno_epoll_event_data(const void *events, int index) {
    return ((const struct epoll_event *)events)[index].data.u64;
}

int dyno_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int dyno_epoll_ctl(int epfd, int op, int fd, uint32_t flags, uint64_t data) {
    struct epoll_event event = {0};
    event.events = flags;
    event.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &event);
}

int dyno_epoll_wait(int epfd, void *events, int max_events, int timeout_ms) {
    return epoll_wait(epfd, (struct epoll_event *)events, max_events, timeout_ms);
}

int dyno_epoll_pwait2(int epfd, void *events, int max_events, int64_t timeout_ns) {
#ifdef SYS_epoll_pwait2
    struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
    return (int)syscall(SYS_epoll_pwait2, epfd, events, max_events, timeout_ns < 0 ? NULL : &ts, NULL, 0);
#else
    (void)epfd; (void)events; (void)max_events; (void)timeout_ns;
    errno = ENOSYS;
    return -1;
#endif
}

int dyno_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int dyno_accept_nonblocking(int listen_fd) { return accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int dyno_set_timer_slack(unsigned long nanoseconds) { return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0); }

void dyno_heap_statistics(uint64_t *in_use_bytes, uint64_t *free_bytes) {
    struct mallinfo2 info = mallinfo2();
    *in_use_bytes = (uint64_t)info.uordblks + (uint64_t)info.hblkhd;
    *free_bytes = (uint64_t)info.fordblks;
}

int dyno_heap_trim(void) { return malloc_trim(0); }

int dyno_heap_tune(int max_arenas, int mmap_threshold_bytes) {
    return mallopt(M_ARENA_MAX, max_arenas) && mallopt(M_MMAP_THRESHOLD, mmap_threshold_bytes);
}

int dyno_thread_sched_idle(void) {
    struct sched_param param = {0};
    return pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
}
