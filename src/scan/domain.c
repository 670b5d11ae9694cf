/*
 * The reference's MatchDomain. Allocation-free; the host is classified (IP or name) once per
 * pl_domain_match_any() call, not once per pattern.
 */
#include "scan/domain.h"

#include "scan/ip.h"

enum host_kind {
    HOST_NAME = 0,
    HOST_IP,  /* a valid IP literal in any notation */
    HOST_BAD, /* numeric-looking but invalid: matches only an identical string */
};

struct host {
    struct pl_str s; /* trailing dot stripped */
    enum host_kind kind;
    struct pl_ip ip; /* unmapped; valid when kind == HOST_IP */
};

static struct pl_str
strip_dot(struct pl_str s)
{
    if (s.len && s.p[s.len - 1] == '.')
        s.len--;
    return s;
}

static void
host_init(struct host *h, struct pl_str s)
{
    h->s = strip_dot(s);
    h->kind = HOST_NAME;
    int r = pl_ip_parse_host(s, &h->ip);
    if (r == 0) {
        h->kind = HOST_IP;
        pl_ip_unmap(&h->ip);
    } else if (r == -ERANGE) {
        h->kind = HOST_BAD;
    }
}

static bool
match_one(const struct host *h, struct pl_str pattern)
{
    struct pl_str p = strip_dot(pattern);
    if (!pattern.p || p.len == 0 || h->s.len == 0)
        return false;
    if (h->kind == HOST_IP) {
        struct pl_ip pip;
        if (pl_ip_parse_host(pattern, &pip) != 0)
            return false;
        pl_ip_unmap(&pip);
        return pl_ip_eq(&h->ip, &pip);
    }
    if (h->kind == HOST_NAME && p.len > 2 && p.p[0] == '*' && p.p[1] == '.') {
        struct pl_str apex = pl_str_from(p.p + 2, p.len - 2);
        struct pl_str dotted = pl_str_from(p.p + 1, p.len - 1); /* ".example.com" */
        if (pl_str_eq_ci(h->s, apex))
            return true;
        return h->s.len >= dotted.len &&
               pl_str_eq_ci(pl_str_from(h->s.p + h->s.len - dotted.len, dotted.len), dotted);
    }
    return pl_str_eq_ci(h->s, p);
}

bool
pl_domain_match(struct pl_str host, struct pl_str pattern)
{
    struct host h;
    host_init(&h, host);
    return match_one(&h, pattern);
}

bool
pl_domain_match_any(struct pl_str host, char *const *patterns, size_t n)
{
    struct host h;
    if (!patterns || n == 0)
        return false;
    host_init(&h, host);
    for (size_t i = 0; i < n; i++)
        if (patterns[i] && match_one(&h, pl_str_c(patterns[i])))
            return true;
    return false;
}
