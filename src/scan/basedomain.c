/*
 * Registrable-domain lookup over libpsl. libpsl wants a NUL-terminated lower-case name, so
 * every lookup goes through a lower-cased stack copy; lower-casing keeps every byte in
 * place, so an offset into the copy is the same offset into the caller's host.
 */
#include "scan/basedomain.h"

#include <libpsl.h>
#include <string.h>

#include "scan/ip.h"

/* Drop one trailing dot ("example.com." names the same host as "example.com"). */
static struct pl_str
strip_dot(struct pl_str host)
{
    if (host.len > 0 && host.p[host.len - 1] == '.')
        host.len--;
    return host;
}

static bool
is_ip_literal(struct pl_str host)
{
    struct pl_ip ip;

    if (memchr(host.p, ':', host.len) || memchr(host.p, '[', host.len))
        return true;
    return pl_ip_parse_host(host, &ip) != -EINVAL;
}

/*
 * Copy the part of host that is looked up into buf, lower-cased and NUL-terminated, and
 * return its offset in host. A host over PL_BASEDOMAIN_HOST_MAX keeps only its trailing
 * labels that fit (the registrable domain depends only on the end of the name).
 */
static size_t
lower_copy(struct pl_str host, char buf[PL_BASEDOMAIN_HOST_MAX + 1])
{
    size_t skip = 0;

    if (host.len > PL_BASEDOMAIN_HOST_MAX) {
        skip = host.len - PL_BASEDOMAIN_HOST_MAX;
        /* Start on a label: after the first dot at or past skip - 1. */
        while (skip < host.len && host.p[skip - 1] != '.')
            skip++;
    }
    for (size_t i = skip; i < host.len; i++)
        buf[i - skip] = pl_ascii_lower(host.p[i]);
    buf[host.len - skip] = '\0';
    return skip;
}

/* The "*" rule alone, for a libpsl without a built-in list: the last two labels. */
static struct pl_str
last_two_labels(struct pl_str host)
{
    size_t dots = 0, i = host.len;
    while (i > 0) {
        if (host.p[i - 1] == '.' && ++dots == 2)
            break;
        i--;
    }
    return pl_str_from(host.p + i, host.len - i);
}

struct pl_str
pl_base_domain(struct pl_str host)
{
    char buf[PL_BASEDOMAIN_HOST_MAX + 1];

    if (!host.p)
        return PL_STR_NULL;
    host = strip_dot(host);
    if (host.len == 0 || !memchr(host.p, '.', host.len) || is_ip_literal(host))
        return host;

    const psl_ctx_t *psl = psl_builtin();
    if (!psl)
        return last_two_labels(host);
    size_t skip = lower_copy(host, buf);
    /* An embedded NUL would end the lookup early and misplace the offset. */
    if (strlen(buf) != host.len - skip)
        return host;
    const char *reg = psl_registrable_domain(psl, buf);
    if (!reg)
        return host; /* a public suffix itself, or no registrable part */
    size_t off = skip + (size_t)(reg - buf);
    return pl_str_from(host.p + off, host.len - off);
}

bool
pl_is_public_suffix(struct pl_str host)
{
    char buf[PL_BASEDOMAIN_HOST_MAX + 1];

    if (!host.p)
        return false;
    host = strip_dot(host);
    if (host.len == 0 || host.len > PL_BASEDOMAIN_HOST_MAX || is_ip_literal(host))
        return false;
    const psl_ctx_t *psl = psl_builtin();
    if (!psl)
        return false;
    lower_copy(host, buf);
    if (strlen(buf) != host.len)
        return false;
    return psl_is_public_suffix2(psl, buf, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}
