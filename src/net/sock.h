/* Socket helpers: address parsing, listening sockets. */
#ifndef PL_NET_SOCK_H
#define PL_NET_SOCK_H

#include <sys/socket.h>

#include "util/str.h"

/*
 * Parse "host:port", "[v6]:port" or ":port" (all interfaces) into a sockaddr. host must be an IP
 * literal or "localhost" (no DNS at start-up). Returns 0 or -EINVAL.
 */
int pl_sock_parse_addr(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);

/*
 * Create a non-blocking, close-on-exec TCP listening socket on addr. reuseport sets
 * SO_REUSEPORT so every worker can bind its own socket to the same address. Returns the fd or
 * -errno; the caller formats the message with the address.
 */
int pl_sock_listen(const struct sockaddr_storage *addr, socklen_t len, bool reuseport, int backlog);

/*
 * Fail with -EADDRINUSE if anything already listens on addr (also a socket bound with
 * SO_REUSEPORT by another process, which would otherwise silently share our port).
 */
int pl_sock_probe_free(const struct sockaddr_storage *addr, socklen_t len);

/* Format "ip:port" or "[v6]:port" into buf. */
void pl_sock_format(const struct sockaddr *sa, char *buf, size_t size);

#endif
