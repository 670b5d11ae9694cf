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
#include "util/buf.h"

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

/* ------------------------------------------------------ canonical form and resolution */

/*
 * A URI reference split by the RFC 3986 appendix B grammar. Slices point into the input;
 * path and query are raw (not yet encoded); the fragment is dropped.
 */
struct uri_ref {
    struct pl_str scheme;
    bool has_scheme;
    struct pl_str authority; /* validated by parse_authority() when present */
    bool has_authority;
    struct pl_str path;
    struct pl_str query; /* without '?' */
    bool has_query;
};

static bool
is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Stripped anywhere by WHATWG parsers (browsers, many HTTP clients): they can hide a "//". */
static bool
is_tab_nl(char c)
{
    return c == '\t' || c == '\r' || c == '\n';
}

static bool
is_slashlike(char c)
{
    return c == '/' || c == '\\';
}

/*
 * Does s[i..] start with two slashes in the eyes of a WHATWG parser ("\\", "/\", "\/", or "//"
 * with tabs or newlines in between or before) without being a plain "//"? Such a reference
 * names another host for a browser but a path on the base host for RFC 3986; it is refused
 * rather than resolved one way or the other.
 */
static bool
authority_ambiguous(struct pl_str s, size_t i)
{
    char c[2];
    size_t n = 0, k = i;
    if (s.len - i >= 2 && s.p[i] == '/' && s.p[i + 1] == '/')
        return false;
    for (; k < s.len && n < 2; k++) {
        if (is_tab_nl(s.p[k]))
            continue;
        c[n++] = s.p[k];
    }
    return n == 2 && is_slashlike(c[0]) && is_slashlike(c[1]);
}

/*
 * scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"; anything else before a ':' is part of
 * a relative path (as in WHATWG parsers; RFC 3986 would call "1a:b" malformed). The authority,
 * when present, must pass parse_authority(); path and query may hold any bytes (they are
 * encoded on output). Returns 0 or -EINVAL.
 */
static int
split_ref(struct pl_str in, struct uri_ref *ret)
{
    struct uri_ref r = {0};
    struct authority a;
    const char *p = in.p;
    size_t len = in.len, i = 0, start;

    if (len > 0 && IS_ALPHA((unsigned char)p[0])) {
        size_t j = 1;
        while (j < len && pl_http_is((unsigned char)p[j], PL_HC_SCHEME))
            j++;
        if (j < len && p[j] == ':') {
            r.scheme = pl_str_from(p, j);
            r.has_scheme = true;
            i = j + 1;
        }
    }
    if (authority_ambiguous(in, i))
        return -EINVAL;
    if (len - i >= 2 && p[i] == '/' && p[i + 1] == '/') {
        start = i += 2;
        while (i < len && p[i] != '/' && p[i] != '?' && p[i] != '#')
            i++;
        r.authority = pl_str_from(p + start, i - start);
        r.has_authority = true;
        if (parse_authority(r.authority, true, &a) < 0)
            return -EINVAL;
    }
    start = i;
    while (i < len && p[i] != '?' && p[i] != '#')
        i++;
    r.path = pl_str_from(p + start, i - start);
    if (i < len && p[i] == '?') {
        start = ++i;
        while (i < len && p[i] != '#')
            i++;
        r.query = pl_str_from(p + start, i - start);
        r.has_query = true;
    }
    *ret = r;
    return 0;
}

/* Bytes pl_url_parse() takes raw in a path (query: also '?'); '%' is handled apart. */
static bool
raw_ok(unsigned char c, bool query)
{
    return pl_http_is(c, PL_HC_UNRES | PL_HC_SUBDELIM) || c == ':' || c == '@' || c == '/' ||
           c == '[' || c == ']' || (query && c == '?');
}

/* Append s, percent-encoding (upper-case hex) what pl_url_parse() would refuse. */
static int
add_encoded(struct pl_buf *out, struct pl_str s, bool query)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0, i = 0;
    int r;

    while (i < s.len) {
        unsigned char c = (unsigned char)s.p[i];
        if (raw_ok(c, query)) {
            i++;
            continue;
        }
        if (c == '%' && pct_ok(s.p, s.len, i)) {
            i += 3;
            continue;
        }
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if ((r = pl_buf_add(out, s.p + run, i - run)) < 0 ||
            (r = pl_buf_add(out, esc, sizeof(esc))) < 0)
            return r;
        run = ++i;
    }
    return pl_buf_add(out, s.p + run, s.len - run);
}

/* Drop the last "/segment" of the path that starts at out->data[from]. */
static void
pop_segment(struct pl_buf *out, size_t from)
{
    size_t n = out->len;
    while (n > from && out->data[n - 1] != '/')
        n--;
    if (n > from)
        n--;
    out->len = n;
    if (out->data)
        out->data[n] = '\0';
}

/*
 * Append remove_dot_segments(dir + rel) (RFC 3986 §5.2.4), encoding each segment. dir is empty
 * or starts and ends with '/'; dir + rel is empty or starts with '/'. For such paths the
 * algorithm reduces to: "." is skipped, ".." drops the last output segment, anything else is
 * appended, and a path ending in "." or ".." keeps a trailing '/'. Each output byte is removed
 * at most once, so this is linear; the buffer maximum also bounds the intermediate output.
 * Escapes are not decoded: "%2e" is not a dot segment.
 */
static int
add_path_resolved(struct pl_buf *out, struct pl_str dir, struct pl_str rel)
{
    size_t from = out->len, n = dir.len + rel.len, i = 0;
    int r;

    PL_BUG_ON(dir.len > 0 && (dir.p[0] != '/' || dir.p[dir.len - 1] != '/'));
    PL_BUG_ON(dir.len == 0 && rel.len > 0 && rel.p[0] != '/');
    while (i < n) {
        /* The byte at i is a '/'; the segment runs to the next '/' and never straddles dir and
         * rel because dir ends with '/'. */
        struct pl_str src = i + 1 >= dir.len ? rel : dir;
        size_t off = i + 1 >= dir.len ? dir.len : 0;
        size_t j = i + 1;
        while (j < n && src.p[j - off] != '/')
            j++;
        struct pl_str seg = pl_str_from(src.p + (i + 1 - off), j - i - 1);
        bool last = j == n;
        bool dot = seg.len == 1 && seg.p[0] == '.';
        bool dotdot = seg.len == 2 && seg.p[0] == '.' && seg.p[1] == '.';
        if (dotdot)
            pop_segment(out, from);
        if (dot || dotdot) {
            if (last && (r = pl_buf_add_ch(out, '/')) < 0)
                return r;
        } else if ((r = pl_buf_add_ch(out, '/')) < 0 || (r = add_encoded(out, seg, false)) < 0) {
            return r;
        }
        i = j;
    }
    return 0;
}

/* "scheme://authority" with the scheme lower-cased. */
static int
add_prefix(struct pl_buf *out, struct pl_str scheme, struct pl_str authority)
{
    int r;
    for (size_t i = 0; i < scheme.len; i++)
        if ((r = pl_buf_add_ch(out, pl_ascii_lower(scheme.p[i]))) < 0)
            return r;
    if ((r = pl_buf_add(out, "://", 3)) < 0)
        return r;
    return pl_buf_add_str(out, authority);
}

/* "?query" (encoded), after inserting "/" when the path written since path_from is empty. */
static int
add_query(struct pl_buf *out, size_t path_from, struct pl_str query, bool has_query)
{
    int r;
    if (!has_query)
        return 0;
    if (out->len == path_from && (r = pl_buf_add_ch(out, '/')) < 0)
        return r;
    if ((r = pl_buf_add_ch(out, '?')) < 0)
        return r;
    return add_encoded(out, query, true);
}

/*
 * in must not point into out (out is reset before in is read). Every byte written is either
 * the validated authority, a lower-cased scheme byte, or a byte raw_ok() accepts / a valid
 * escape, which is what makes the result parse.
 */
int
pl_url_canonical(struct pl_str in, struct pl_buf *out)
{
    struct uri_ref u;
    size_t path_from;
    int r = -EINVAL;

    pl_buf_reset(out);
    if (!in.p || split_ref(in, &u) < 0 || !u.has_scheme || !u.has_authority)
        goto fail;
    if ((r = add_prefix(out, u.scheme, u.authority)) < 0)
        goto fail;
    path_from = out->len;
    if ((r = add_encoded(out, u.path, false)) < 0 ||
        (r = add_query(out, path_from, u.query, u.has_query)) < 0)
        goto fail;
    return 0;
fail:
    pl_buf_reset(out);
    return r;
}

/* base and ref must not point into out. */
int
pl_url_resolve(struct pl_str base, struct pl_str ref, struct pl_buf *out)
{
    struct uri_ref b, t;
    struct pl_str scheme, authority, query;
    bool has_query;
    size_t path_from;
    int r = -EINVAL;

    pl_buf_reset(out);
    if (!base.p || split_ref(base, &b) < 0 || !b.has_scheme || !b.has_authority)
        goto fail;
    if (!ref.p)
        ref = PL_STR("");
    while (ref.len > 0 && is_ws(ref.p[0])) {
        ref.p++;
        ref.len--;
    }
    while (ref.len > 0 && is_ws(ref.p[ref.len - 1]))
        ref.len--;
    if (split_ref(ref, &t) < 0)
        goto fail;

    /* RFC 3986 §5.2.2, strict. */
    if (t.has_scheme) {
        /* "http:foo" is an absolute URI without an authority: nothing we can fetch. */
        if (!t.has_authority)
            goto fail;
        scheme = t.scheme;
    } else {
        scheme = b.scheme;
    }
    authority = t.has_authority ? t.authority : b.authority;
    query = t.query;
    has_query = t.has_query;
    if ((r = add_prefix(out, scheme, authority)) < 0)
        goto fail;
    path_from = out->len;

    if (t.has_scheme || t.has_authority || (t.path.len > 0 && t.path.p[0] == '/')) {
        r = add_path_resolved(out, PL_STR_NULL, t.path);
    } else if (t.path.len == 0) {
        /* Same document: the base path as it is (no dot removal, as in the RFC). */
        if (!has_query) {
            query = b.query;
            has_query = b.has_query;
        }
        r = add_encoded(out, b.path, false);
    } else {
        /* §5.2.3 merge: the base path up to its last '/', or "/" for an empty base path. */
        struct pl_str dir;
        if (b.path.len == 0) {
            dir = PL_STR("/");
        } else {
            dir = b.path;
            while (dir.p[dir.len - 1] != '/')
                dir.len--;
        }
        r = add_path_resolved(out, dir, t.path);
    }
    if (r < 0 || (r = add_query(out, path_from, query, has_query)) < 0)
        goto fail;
    return 0;
fail:
    pl_buf_reset(out);
    return r;
}
