// How many connections wait on a TCP server, as the kernel sees it (what `ss -tn sport = :PORT` shows as Recv-Q).
#define _GNU_SOURCE
#include "CLinuxShim.h"
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

// The kernel's TCP states (include/net/tcp_states.h), as bits of idiag_states.
enum { STATE_ESTABLISHED = 1, STATE_LISTEN = 10 };

int dyno_read_tcp_server_queues(uint16_t port, int include_established, struct dyno_tcp_server_queues *out) {
    memset(out, 0, sizeof *out);
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return -1;
    // A dump answers at once; the timeout only guards against a kernel that never does.
    struct timeval timeout = { .tv_sec = 1, .tv_usec = 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

    // IPv4 TCP sockets in ESTABLISHED or LISTEN whose local port is `port`: the kernel filters with this
    // bytecode (S_EQ port: match jumps to the end = accept; no match jumps past the end = reject), so only the
    // server's own sockets come back, however many other sockets the machine has.
    struct {
        struct nlmsghdr header;
        struct inet_diag_req_v2 request;
        struct rtattr attribute;
        struct inet_diag_bc_op filter[2];
    } message;
    memset(&message, 0, sizeof message);
    message.header.nlmsg_len = sizeof message;
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    message.request.sdiag_family = AF_INET;
    message.request.sdiag_protocol = IPPROTO_TCP;
    message.request.idiag_states = (include_established ? (1u << STATE_ESTABLISHED) : 0) | (1u << STATE_LISTEN);
    message.attribute.rta_type = INET_DIAG_REQ_BYTECODE;
    message.attribute.rta_len = RTA_LENGTH(sizeof message.filter);
    message.filter[0].code = INET_DIAG_BC_S_EQ;
    message.filter[0].yes = sizeof message.filter;
    message.filter[0].no = sizeof message.filter + 4;
    message.filter[1].no = port;
    if (send(fd, &message, sizeof message, 0) < 0) { int e = errno; close(fd); errno = e; return -1; }

    char buffer[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t length = recv(fd, buffer, sizeof buffer, 0);
        if (length < 0) { if (errno == EINTR) continue; int e = errno; close(fd); errno = e; return -1; }
        if (length == 0) break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, (size_t)length); h = NLMSG_NEXT(h, length)) {
            if (h->nlmsg_type == NLMSG_DONE) { close(fd); return 0; }
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *error = NLMSG_DATA(h);
                close(fd);
                errno = error->error < 0 ? -error->error : EIO;
                return -1;
            }
            const struct inet_diag_msg *socket_info = NLMSG_DATA(h);
            if (socket_info->idiag_state == STATE_LISTEN) {
                // For a listening socket the receive queue is the accept queue (connections not yet accepted).
                out->accept_queue += (int32_t)socket_info->idiag_rqueue;
            } else {
                out->established += 1;
                if (socket_info->idiag_rqueue > 0) out->connections_with_unread_bytes += 1;
            }
        }
    }
    close(fd);
    return 0;
}
