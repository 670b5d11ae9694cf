#include "net/dns.h"

#include <event2/dns.h>
#include <event2/util.h>
#include <string.h>

int
pl_dns_new(struct event_base *base, const struct pl_dns_opts *o, struct evdns_base **ret,
           char **ret_err)
{
    char val[32];
    bool custom = o->n_resolvers > 0;
    struct evdns_base *dns = evdns_base_new(base, (custom ? 0 : EVDNS_BASE_INITIALIZE_NAMESERVERS) |
                                                      EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (!dns) {
        if (ret_err)
            *ret_err = pl_xstrdup("dns: cannot create resolver");
        return -ENOMEM;
    }
    if (custom) {
        evdns_base_load_hosts(dns, NULL);
        for (size_t i = 0; i < o->n_resolvers; i++) {
            if (evdns_base_nameserver_ip_add(dns, o->resolvers[i]) != 0) {
                if (ret_err) {
                    char msg[300];
                    snprintf(msg, sizeof(msg), "dns.resolvers: invalid resolver \"%s\"",
                             o->resolvers[i]);
                    *ret_err = pl_xstrdup(msg);
                }
                evdns_base_free(dns, 0);
                return -EINVAL;
            }
        }
    }
    if (o->timeout_ms > 0) {
        snprintf(val, sizeof(val), "%d.%03d", o->timeout_ms / 1000, o->timeout_ms % 1000);
        evdns_base_set_option(dns, "timeout:", val);
    }
    if (o->attempts > 0) {
        snprintf(val, sizeof(val), "%d", o->attempts);
        evdns_base_set_option(dns, "attempts:", val);
    }
    *ret = dns;
    return 0;
}

struct lookup {
    pl_dns_cb cb;
    void *arg;
};

static void
gai_cb(int result, struct evutil_addrinfo *res, void *arg)
{
    struct lookup l = *(struct lookup *)arg;
    free(arg);
    struct pl_ip addrs[PL_DNS_MAX_ADDRS];
    size_t n = 0;
    int err = 0;
    if (result == 0) {
        for (struct evutil_addrinfo *ai = res; ai && n < PL_DNS_MAX_ADDRS; ai = ai->ai_next) {
            if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
                continue;
            struct pl_ip ip;
            pl_ip_from_sockaddr(ai->ai_addr, &ip);
            pl_ip_unmap(&ip);
            bool dup = false;
            for (size_t i = 0; i < n; i++)
                dup = dup || pl_ip_eq(&addrs[i], &ip);
            if (!dup)
                addrs[n++] = ip;
        }
        if (n == 0)
            err = -ENOENT;
    } else if (result == EVUTIL_EAI_CANCEL) {
        err = -ECANCELED;
    } else if (result == EVUTIL_EAI_NONAME || result == EVUTIL_EAI_NODATA) {
        err = -ENOENT;
    } else if (result == EVUTIL_EAI_AGAIN) {
        err = -ETIMEDOUT;
    } else {
        err = -EIO;
    }
    if (res)
        evutil_freeaddrinfo(res);
    l.cb(err, n ? addrs : NULL, n, l.arg);
}

struct evdns_getaddrinfo_request *
pl_dns_resolve(struct evdns_base *dns, const char *name, pl_dns_cb cb, void *arg)
{
    struct lookup *l = malloc(sizeof(*l));
    if (!l) {
        cb(-ENOMEM, NULL, 0, arg);
        return NULL;
    }
    l->cb = cb;
    l->arg = arg;
    struct evutil_addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    return evdns_getaddrinfo(dns, name, NULL, &hints, gai_cb, l);
}

void
pl_dns_cancel(struct evdns_getaddrinfo_request *req)
{
    if (req)
        evdns_getaddrinfo_cancel(req);
}
