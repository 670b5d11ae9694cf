/*
 * URL and authority parsing (RFC 3986 subset used by HTTP, RFC 6874 zone ids).
 *
 * Everything is a slice into the caller's input; the only copy is the bounded stack copy of an
 * IPv6 literal handed to inet_pton(). The byte-class table used by the whole http layer lives
 * here too.
 */
#include "http/url.h"

#include <arpa/inet.h>
#include <string.h>

#include "http/http_int.h"

/* ------------------------------------------------------------------ byte classes */

#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_HEX(c)   (IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define IS_UNRES(c) \
    (IS_ALPHA(c) || IS_DIGIT(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~')
#define IS_SUBDELIM(c)                                                                    \
    ((c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' || \
     (c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' || (c) == '=')
#define IS_GENDELIM_NOHASH(c) \
    ((c) == ':' || (c) == '/' || (c) == '?' || (c) == '[' || (c) == ']' || (c) == '@')
#define IS_TCHAR(c)                                                                        \
    (IS_ALPHA(c) || IS_DIGIT(c) || (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || \
     (c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' ||  \
     (c) == '^' || (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
#define IS_FIELD(c)    ((c) == '\t' || ((c) >= 0x20 && (c) != 0x7f))
#define IS_QDTEXT(c)   ((c) == '\t' || ((c) >= 0x20 && (c) != 0x7f && (c) != '"' && (c) != '\\'))
#define IS_HOSTNORM(c) (IS_UNRES(c) || IS_SUBDELIM(c) || (c) == '%' || (c) == ':')

#define CT(c)                                                                                  \
    (uint16_t)((IS_TCHAR(c) ? PL_HC_TCHAR : 0) | (IS_FIELD(c) ? PL_HC_FIELD : 0) |             \
               ((IS_UNRES(c) || IS_SUBDELIM(c) || IS_GENDELIM_NOHASH(c)) ? PL_HC_TARGET : 0) | \
               (IS_UNRES(c) ? PL_HC_UNRES : 0) | (IS_SUBDELIM(c) ? PL_HC_SUBDELIM : 0) |       \
               (IS_HEX(c) ? PL_HC_HEX : 0) |                                                   \
               ((IS_ALPHA(c) || IS_DIGIT(c) || (c) == '+' || (c) == '-' || (c) == '.')         \
                    ? PL_HC_SCHEME                                                             \
                    : 0) |                                                                     \
               (IS_QDTEXT(c) ? PL_HC_QDTEXT : 0) | (IS_HOSTNORM(c) ? PL_HC_HOSTNORM : 0))
#define CT4(b)  CT(b), CT((b) + 1), CT((b) + 2), CT((b) + 3)
#define CT16(b) CT4(b), CT4((b) + 4), CT4((b) + 8), CT4((b) + 12)
#define CT64(b) CT16(b), CT16((b) + 16), CT16((b) + 32), CT16((b) + 48)

const uint16_t pl_http_ctype[256] = {CT64(0), CT64(64), CT64(128), CT64(192)};

/* ------------------------------------------------------------------ helpers */

/* Does s[i..] hold a valid "%" HEXDIG HEXDIG escape? */
static bool
pct_ok(const char *s, size_t len, size_t i)
{
    return len - i >= 3 && pl_http_is((unsigned char)s[i + 1], PL_HC_HEX) &&
           pl_http_is((unsigned char)s[i + 2], PL_HC_HEX);
}

/* Every byte of s is in one of the classes `cls`, in `extra`, or a valid percent escape. */
static bool
chars_ok(struct pl_str s, unsigned cls, const char *extra)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (pl_http_is(c, cls))
            continue;
        if (c == '%') {
            if (!pct_ok(s.p, s.len, i))
                return false;
            i += 2;
            continue;
        }
        if (c == 0 || !extra || !strchr(extra, c))
            return false;
    }
    return true;
}

/*
 * Validate an IPv6 literal (the text between the brackets): an address inet_pton() accepts,
 * optionally followed by an RFC 6874 zone id "%25" 1*(unreserved / pct-encoded). IPvFuture
 * ("v1.x") is rejected.
 */
static bool
ipv6_ok(struct pl_str in)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    unsigned char addr[16];
    size_t alen = in.len;
    const char *pct = memchr(in.p, '%', in.len);
    if (pct) {
        alen = (size_t)(pct - in.p);
        struct pl_str zone = pl_str_from(pct, in.len - alen);
        if (zone.len < 4 || zone.p[1] != '2' || zone.p[2] != '5')
            return false;
        zone.p += 3;
        zone.len -= 3;
        if (!chars_ok(zone, PL_HC_UNRES, NULL))
            return false;
    }
    if (alen == 0 || alen >= sizeof(tmp))
        return false;
    memcpy(tmp, in.p, alen);
    tmp[alen] = '\0';
    return inet_pton(AF_INET6, tmp, addr) == 1;
}

/* port = 1*5DIGIT with value <= 65535; empty is an error. */
static int
parse_port(struct pl_str s, uint16_t *ret)
{
    unsigned v = 0;
    if (s.len == 0 || s.len > 5)
        return -EINVAL;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < '0' || c > '9')
            return -EINVAL;
        v = v * 10 + (unsigned)(c - '0');
    }
    if (v > 65535)
        return -EINVAL;
    *ret = (uint16_t)v;
    return 0;
}

struct authority {
    struct pl_str userinfo;
    bool has_userinfo;
    struct pl_str host;
    bool is_ipv6;
    uint16_t port;
    bool has_port;
};

/*
 * authority = [ userinfo "@" ] host [ ":" port ]. Only one '@' is accepted (a second one is
 * the classic "http://a@b@c/" confusion). reg-name is unreserved / sub-delims / pct-encoded
 * and must not be empty.
 */
static int
parse_authority(struct pl_str a, bool allow_userinfo, struct authority *ret)
{
    struct authority out = {0};
    struct pl_str hp = a;
    /* Without userinfo an '@' is refused by the host and port checks below anyway. */
    const char *at = allow_userinfo && a.len ? memchr(a.p, '@', a.len) : NULL;
    if (a.len == 0)
        return -EINVAL;
    if (at) {
        out.userinfo = pl_str_from(a.p, (size_t)(at - a.p));
        out.has_userinfo = true;
        if (!chars_ok(out.userinfo, PL_HC_UNRES | PL_HC_SUBDELIM, ":"))
            return -EINVAL;
        hp = pl_str_from(at + 1, a.len - out.userinfo.len - 1);
        if (memchr(hp.p, '@', hp.len))
            return -EINVAL;
    }
    if (hp.len == 0)
        return -EINVAL;

    struct pl_str rest;
    if (hp.p[0] == '[') {
        const char *rb = memchr(hp.p, ']', hp.len);
        if (!rb)
            return -EINVAL;
        out.host = pl_str_from(hp.p + 1, (size_t)(rb - hp.p) - 1);
        out.is_ipv6 = true;
        if (!ipv6_ok(out.host))
            return -EINVAL;
        rest = pl_str_from(rb + 1, hp.len - (size_t)(rb + 1 - hp.p));
    } else {
        const char *colon = memchr(hp.p, ':', hp.len);
        size_t hlen = colon ? (size_t)(colon - hp.p) : hp.len;
        out.host = pl_str_from(hp.p, hlen);
        if (hlen == 0)
            return -EINVAL;
        /* reg-name without pct-encoded: an escaped host name would slip past the host policy
         * (which compares names, not decodings) and no resolver decodes it anyway. */
        for (size_t i = 0; i < hlen; i++)
            if (!pl_http_is((unsigned char)hp.p[i], PL_HC_UNRES | PL_HC_SUBDELIM))
                return -EINVAL;
        rest = pl_str_from(hp.p + hlen, hp.len - hlen);
    }
    if (rest.len > 0) {
        if (rest.p[0] != ':')
            return -EINVAL;
        if (parse_port(pl_str_from(rest.p + 1, rest.len - 1), &out.port) < 0)
            return -EINVAL;
        out.has_port = true;
    }
    *ret = out;
    return 0;
}

static enum pl_url_scheme
scheme_id(struct pl_str s)
{
    if (pl_str_eq_ci(s, PL_STR("http")))
        return PL_URL_SCHEME_HTTP;
    if (pl_str_eq_ci(s, PL_STR("https")))
        return PL_URL_SCHEME_HTTPS;
    if (pl_str_eq_ci(s, PL_STR("ws")))
        return PL_URL_SCHEME_WS;
    if (pl_str_eq_ci(s, PL_STR("wss")))
        return PL_URL_SCHEME_WSS;
    return PL_URL_SCHEME_OTHER;
}

/* Host with one trailing dot removed (not for IPv6, where a dot cannot end the literal). */
static struct pl_str
strip_dot(struct pl_str h)
{
    if (h.len > 0 && h.p[h.len - 1] == '.')
        h.len--;
    return h;
}

/* ------------------------------------------------------------------ public API */

uint16_t
pl_url_default_port(enum pl_url_scheme s)
{
    switch (s) {
    case PL_URL_SCHEME_HTTP:
    case PL_URL_SCHEME_WS:
        return 80;
    case PL_URL_SCHEME_HTTPS:
    case PL_URL_SCHEME_WSS:
        return 443;
    default:
        return 0;
    }
}

int
pl_url_parse(struct pl_str in, struct pl_url *ret)
{
    struct pl_url u = {0};
    struct authority a;
    const char *p = in.p;
    size_t len = in.len, i = 1, start;

    if (len == 0 || !p || !IS_ALPHA((unsigned char)p[0]))
        goto fail;
    while (i < len && pl_http_is((unsigned char)p[i], PL_HC_SCHEME))
        i++;
    if (i >= len || p[i] != ':')
        goto fail;
    u.scheme = pl_str_from(p, i);
    u.scheme_id = scheme_id(u.scheme);
    i++;
    if (len - i < 2 || p[i] != '/' || p[i + 1] != '/')
        goto fail;
    i += 2;

    start = i;
    while (i < len && p[i] != '/' && p[i] != '?' && p[i] != '#')
        i++;
    u.authority = pl_str_from(p + start, i - start);
    if (parse_authority(u.authority, true, &a) < 0)
        goto fail;
    u.userinfo = a.userinfo;
    u.has_userinfo = a.has_userinfo;
    u.host = a.host;
    u.host_is_ipv6 = a.is_ipv6;
    u.has_port = a.has_port;
    u.port = a.has_port ? a.port : pl_url_default_port(u.scheme_id);

    /* path-abempty: *( "/" segment ), segment = *pchar */
    start = i;
    while (i < len && p[i] != '?' && p[i] != '#')
        i++;
    u.path = pl_str_from(p + start, i - start);
    /* '[' and ']' are outside the path/query grammar but inside the RFC 3986 character set,
     * and common clients (Python requests, browsers) send them raw in queries ("a[]=1"); they
     * are accepted like the request-line parser does, everything else is checked. */
    if (!chars_ok(u.path, PL_HC_UNRES | PL_HC_SUBDELIM, ":@/[]"))
        goto fail;
    if (i < len && p[i] == '?') {
        start = ++i;
        while (i < len && p[i] != '#')
            i++;
        u.query = pl_str_from(p + start, i - start);
        u.has_query = true;
        if (!chars_ok(u.query, PL_HC_UNRES | PL_HC_SUBDELIM, ":@/?[]"))
            goto fail;
    }
    if (i < len && p[i] == '#') {
        u.fragment = pl_str_from(p + i + 1, len - i - 1);
        if (!chars_ok(u.fragment, PL_HC_UNRES | PL_HC_SUBDELIM, ":@/?[]"))
            goto fail;
    }

    if (u.path.len == 0) {
        /* "/" must be sent for an empty path (RFC 9112 §3.2.1); "/?q" cannot be a slice of
         * "http://h?q", so that rare spelling is refused rather than copied. */
        if (u.has_query)
            goto fail;
        u.path_and_query = PL_STR("/");
    } else {
        size_t end = u.has_query ? (size_t)(u.query.p + u.query.len - u.path.p) : u.path.len;
        u.path_and_query = pl_str_from(u.path.p, end);
    }
    *ret = u;
    return 0;
fail:
    return -EINVAL;
}

int
pl_url_parse_authority(struct pl_str in, bool require_port, uint16_t default_port,
                       struct pl_str *ret_host, uint16_t *ret_port, bool *ret_is_ipv6)
{
    struct authority a;
    if (!in.p || parse_authority(in, false, &a) < 0)
        return -EINVAL;
    if (!a.has_port && require_port)
        return -EINVAL;
    if (ret_host)
        *ret_host = a.host;
    if (ret_port)
        *ret_port = a.has_port ? a.port : default_port;
    if (ret_is_ipv6)
        *ret_is_ipv6 = a.is_ipv6;
    return 0;
}

bool
pl_url_host_matches(const struct pl_url *u, struct pl_str host_header)
{
    struct authority a;
    if (!u || !host_header.p || parse_authority(host_header, false, &a) < 0)
        return false;
    uint16_t port = a.has_port ? a.port : pl_url_default_port(u->scheme_id);
    if (port != u->port || a.is_ipv6 != u->host_is_ipv6)
        return false;
    return pl_str_eq_ci(strip_dot(a.host), strip_dot(u->host));
}

int
pl_url_host_normalize(struct pl_str host, char *buf, size_t size)
{
    struct pl_str h = strip_dot(host);
    if (!host.p || h.len == 0)
        return -EINVAL;
    for (size_t i = 0; i < h.len; i++)
        if (!pl_http_is((unsigned char)h.p[i], PL_HC_HOSTNORM))
            return -EINVAL;
    if (h.len >= size || h.len > INT32_MAX)
        return -E2BIG;
    for (size_t i = 0; i < h.len; i++)
        buf[i] = pl_ascii_lower(h.p[i]);
    buf[h.len] = '\0';
    return (int)h.len;
}
