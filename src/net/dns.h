/* Asynchronous DNS (libevent evdns), one resolver per worker. */
#ifndef PL_NET_DNS_H
#define PL_NET_DNS_H

#include "scan/ip.h"

struct event_base;
struct evdns_base;
struct evdns_getaddrinfo_request;

#define PL_DNS_MAX_ADDRS 16

struct pl_dns_opts {
    char **resolvers; /* "ip", "ip:port", "[v6]:port"; NULL/0 → /etc/resolv.conf */
    size_t n_resolvers;
    int timeout_ms;
    int attempts;
};

/*
 * Create a resolver on base. /etc/hosts is consulted first, as the system resolver does.
 * Returns 0 or -EINVAL with a message in *ret_err naming the bad resolver.
 */
int pl_dns_new(struct event_base *base, const struct pl_dns_opts *o, struct evdns_base **ret,
               char **ret_err);

/*
 * Result callback: err is 0 with n ≥ 1 addresses (IPv4-mapped ones unmapped), or a negative
 * code (-ENOENT no such name / no addresses, -ETIMEDOUT, -ECANCELED when cancelled, -EIO).
 */
typedef void (*pl_dns_cb)(int err, const struct pl_ip *addrs, size_t n, void *arg);

/*
 * Resolve name (A and AAAA). Returns a handle for pl_dns_cancel, or NULL if the callback has
 * already been called (answered from /etc/hosts or failed immediately).
 */
struct evdns_getaddrinfo_request *pl_dns_resolve(struct evdns_base *dns, const char *name,
                                                 pl_dns_cb cb, void *arg);
/* Cancel a pending lookup; the callback runs once more with -ECANCELED, then never again. */
void pl_dns_cancel(struct evdns_getaddrinfo_request *req);

#endif
