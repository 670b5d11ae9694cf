/*
 * IP literal parsing (URL hosts and strict text), RFC 5952 formatting, CIDR sets and the SSRF
 * classification. Runs once or more per request, so everything here is allocation-free
 * except the list functions.
 */
#include "scan/ip.h"

#include <string.h>

const char *const pl_ip_default_internal[] = {
    "0.0.0.0/8",      "127.0.0.0/8",    "10.0.0.0/8",    "172.16.0.0/12",
    "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10", "224.0.0.0/4",
    "::1/128",        "fc00::/7",       "fe80::/10",     "ff00::/8",
};
const size_t pl_ip_default_internal_count = PL_ARRAY_SIZE(pl_ip_default_internal);

const char *const pl_ip_core_internal[] = {
    "0.0.0.0/8",      "127.0.0.0/8",   "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
    "169.254.0.0/16", "100.64.0.0/10", "::1/128",    "fc00::/7",      "fe80::/10",
};
const size_t pl_ip_core_internal_count = PL_ARRAY_SIZE(pl_ip_core_internal);

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void
set_v4(struct pl_ip *ip, uint32_t v)
{
    memset(ip, 0, sizeof(*ip));
    ip->family = PL_IP_V4;
    ip->a[0] = (uint8_t)(v >> 24);
    ip->a[1] = (uint8_t)(v >> 16);
    ip->a[2] = (uint8_t)(v >> 8);
    ip->a[3] = (uint8_t)v;
}

static bool
is_v6(const struct pl_ip *ip)
{
    return ip->family != PL_IP_V4;
}

static bool
is_mapped(const struct pl_ip *ip)
{
    return is_v6(ip) && memcmp(ip->a, v4mapped_prefix, 12) == 0;
}

/* ---- IPv4 in WHATWG / inet_aton notation ---- */

/*
 * WHATWG "IPv4 number": "0x"/"0X" prefix = hex (may be empty: "0x" is 0), other leading
 * "0" = octal, else decimal. Leading zeros never overflow; any value above 2^32-1 is
 * reported as UINT64_MAX. Returns false on an empty part or a digit invalid for the radix.
 */
static bool
v4_number(struct pl_str s, uint64_t *ret)
{
    unsigned radix = 10;
    size_t i = 0;
    uint64_t v = 0;
    if (s.len == 0)
        return false;
    if (s.len >= 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
        radix = 16;
        i = 2;
    } else if (s.len >= 2 && s.p[0] == '0') {
        radix = 8;
        i = 1;
    }
    for (; i < s.len; i++) {
        int d = pl_hex_value(s.p[i]);
        if (d < 0 || (unsigned)d >= radix)
            return false;
        if (v <= UINT32_MAX)
            v = v * radix + (unsigned)d;
    }
    *ret = v > UINT32_MAX ? UINT64_MAX : v;
    return true;
}

/* WHATWG "ends in a number": s already has at most its one trailing dot removed. */
static bool
v4_ends_in_number(struct pl_str s)
{
    size_t start = s.len;
    uint64_t v;
    while (start > 0 && s.p[start - 1] != '.')
        start--;
    struct pl_str last = pl_str_from(s.p + start, s.len - start);
    if (last.len == 0)
        return false;
    bool digits = true;
    for (size_t i = 0; i < last.len && digits; i++)
        digits = is_digit(last.p[i]);
    return digits || v4_number(last, &v);
}

/* WHATWG IPv4 parser on s (one trailing dot already removed). 0 or -ERANGE. */
static int
v4_parse_whatwg(struct pl_str s, struct pl_ip *ret)
{
    uint64_t part[4];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= s.len; i++) {
        if (i < s.len && s.p[i] != '.')
            continue;
        if (n == 4)
            return -ERANGE;
        if (!v4_number(pl_str_from(s.p + start, i - start), &part[n]))
            return -ERANGE;
        n++;
        start = i + 1;
    }
    uint64_t v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (part[i] > 255)
            return -ERANGE;
        v |= part[i] << (8 * (3 - i));
    }
    /* The last part fills the remaining 5 - n bytes. */
    uint64_t last = part[n - 1];
    if (last >= ((uint64_t)1 << (8 * (5 - n))))
        return -ERANGE;
    set_v4(ret, (uint32_t)(v | last));
    return 0;
}

/* Classify an unbracketed, colon-free host as IPv4 (0), name (-EINVAL) or bad (-ERANGE). */
static int
v4_parse_host(struct pl_str s, struct pl_ip *ret)
{
    size_t dots = 0;
    while (dots < s.len && s.p[s.len - 1 - dots] == '.')
        dots++;
    if (dots == s.len)
        return -EINVAL;
    struct pl_str body = pl_str_from(s.p, s.len - PL_MIN(dots, (size_t)1));
    if (dots > 1) {
        /* "127.0.0.1.." is a (bad) name to WHATWG; resolvers may still read the number. */
        struct pl_str stripped = pl_str_from(s.p, s.len - dots);
        return v4_ends_in_number(stripped) ? -ERANGE : -EINVAL;
    }
    if (!v4_ends_in_number(body))
        return -EINVAL;
    return v4_parse_whatwg(body, ret);
}

/* Strict dotted quad: four decimal parts 0..255, no leading zeros. */
static bool
v4_parse_strict(struct pl_str s, uint8_t out[4])
{
    size_t n = 0, i = 0;
    while (n < 4) {
        size_t start = i;
        unsigned v = 0;
        while (i < s.len && is_digit(s.p[i]) && i - start < 3) {
            v = v * 10 + (unsigned)(s.p[i] - '0');
            i++;
        }
        size_t len = i - start;
        if (len == 0 || v > 255 || (len > 1 && s.p[start] == '0'))
            return false;
        out[n++] = (uint8_t)v;
        if (n < 4) {
            if (i >= s.len || s.p[i] != '.')
                return false;
            i++;
        }
    }
    return i == s.len;
}

/* ---- IPv6 (RFC 4291 text) ---- */

static bool
v6_parse(struct pl_str s, uint8_t out[16])
{
    uint8_t a[16] = {0};
    size_t i = 0, n = 0; /* n: bytes written */
    long gap = -1;       /* byte index of "::", -1 if none */
    if (s.len < 2)
        return false;
    if (s.p[0] == ':') {
        if (s.p[1] != ':')
            return false;
        gap = 0;
        i = 2;
        if (i == s.len)
            goto done;
    }
    for (;;) {
        if (n == 16)
            return false;
        size_t start = i;
        unsigned v = 0;
        while (i < s.len && i - start < 4 && pl_hex_value(s.p[i]) >= 0) {
            v = (v << 4) | (unsigned)pl_hex_value(s.p[i]);
            i++;
        }
        if (i < s.len && s.p[i] == '.') {
            /* Embedded dotted quad: must be last and fit in the remaining 4 bytes. */
            if (n > 12 || !v4_parse_strict(pl_str_from(s.p + start, s.len - start), a + n))
                return false;
            n += 4;
            break;
        }
        if (i == start || (i < s.len && pl_hex_value(s.p[i]) >= 0))
            return false; /* empty group or more than 4 hex digits */
        a[n++] = (uint8_t)(v >> 8);
        a[n++] = (uint8_t)v;
        if (i == s.len)
            break;
        if (s.p[i] != ':')
            return false;
        i++;
        if (i < s.len && s.p[i] == ':') {
            if (gap >= 0)
                return false;
            gap = (long)n;
            i++;
            if (i == s.len)
                break;
        } else if (i == s.len) {
            return false; /* trailing single ':' */
        }
    }
done:
    if (gap < 0) {
        if (n != 16)
            return false;
    } else {
        /* "::" stands for at least one zero group. */
        if (n > 14)
            return false;
        size_t tail = n - (size_t)gap;
        memmove(a + 16 - tail, a + gap, tail);
        memset(a + gap, 0, 16 - tail - (size_t)gap);
    }
    memcpy(out, a, 16);
    return true;
}

static bool
zone_ok(struct pl_str z)
{
    if (z.len >= 2 && z.p[0] == '2' && z.p[1] == '5' && z.len > 2) {
        /* RFC 6874 "%25" introducer; a bare "%25" is zone "25". */
        z.p += 2;
        z.len -= 2;
    }
    if (z.len == 0)
        return false;
    for (size_t i = 0; i < z.len; i++) {
        char c = z.p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
                  c == '.' || c == '_' || c == '~' || c == '%';
        if (!ok)
            return false;
    }
    return true;
}

/* IPv6 with optional zone, no brackets. 0 or -ERANGE. */
static int
v6_parse_host(struct pl_str s, struct pl_ip *ret)
{
    const char *pct = memchr(s.p, '%', s.len);
    struct pl_str addr = s;
    uint8_t a[16];
    if (pct) {
        addr.len = (size_t)(pct - s.p);
        if (!zone_ok(pl_str_from(pct + 1, s.len - addr.len - 1)))
            return -ERANGE;
    }
    if (!v6_parse(addr, a))
        return -ERANGE;
    memset(ret, 0, sizeof(*ret));
    ret->family = PL_IP_V6;
    memcpy(ret->a, a, 16);
    return 0;
}

int
pl_ip_parse_host(struct pl_str host, struct pl_ip *ret)
{
    struct pl_ip ip;
    int r;
    if (host.len == 0 || !host.p)
        return -EINVAL;
    if (host.p[0] == '[') {
        if (host.len < 2 || host.p[host.len - 1] != ']')
            return -ERANGE;
        r = v6_parse_host(pl_str_from(host.p + 1, host.len - 2), &ip);
        goto out;
    }
    if (memchr(host.p, ':', host.len)) {
        r = v6_parse_host(host, &ip);
        goto out;
    }
    for (size_t i = 0; i < host.len; i++) {
        char c = host.p[i];
        if (c == '%' || c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
            c == '\0') {
            /* Never a valid name; a numeric prefix is what inet_aton() would connect to. */
            r = v4_parse_host(pl_str_from(host.p, i), &ip);
            return r == -EINVAL ? -EINVAL : -ERANGE;
        }
    }
    r = v4_parse_host(host, &ip);
out:
    if (r == 0)
        *ret = ip;
    return r;
}

int
pl_ip_parse_strict(struct pl_str s, struct pl_ip *ret)
{
    struct pl_ip ip;
    memset(&ip, 0, sizeof(ip));
    if (!s.p || s.len == 0)
        return -EINVAL;
    if (memchr(s.p, ':', s.len)) {
        ip.family = PL_IP_V6;
        if (!v6_parse(s, ip.a))
            return -EINVAL;
    } else {
        ip.family = PL_IP_V4;
        if (!v4_parse_strict(s, ip.a))
            return -EINVAL;
    }
    *ret = ip;
    return 0;
}

void
pl_ip_unmap(struct pl_ip *ip)
{
    if (!is_mapped(ip))
        return;
    uint8_t v4[4];
    memcpy(v4, ip->a + 12, 4);
    memset(ip, 0, sizeof(*ip));
    ip->family = PL_IP_V4;
    memcpy(ip->a, v4, 4);
}

bool
pl_ip_embedded_v4(const struct pl_ip *ip, struct pl_ip *ret)
{
    static const uint8_t zero12[12] = {0};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t *a = ip->a;
    uint8_t v4[4];
    if (!is_v6(ip))
        return false;
    if (memcmp(a, v4mapped_prefix, 12) == 0 || memcmp(a, zero12, 12) == 0 ||
        memcmp(a, nat64, 12) == 0) {
        memcpy(v4, a + 12, 4);
    } else if (a[0] == 0x20 && a[1] == 0x02) {
        memcpy(v4, a + 2, 4);
    } else if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) {
        for (int i = 0; i < 4; i++)
            v4[i] = (uint8_t)~a[12 + i];
    } else {
        return false;
    }
    memset(ret, 0, sizeof(*ret));
    ret->family = PL_IP_V4;
    memcpy(ret->a, v4, 4);
    return true;
}

/* ---- formatting ---- */

static size_t
fmt_dec(char *p, uint8_t v)
{
    size_t n = 0;
    if (v >= 100)
        p[n++] = (char)('0' + v / 100);
    if (v >= 10)
        p[n++] = (char)('0' + v / 10 % 10);
    p[n++] = (char)('0' + v % 10);
    return n;
}

static size_t
fmt_v4(char *p, const uint8_t a[4])
{
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (i)
            p[n++] = '.';
        n += fmt_dec(p + n, a[i]);
    }
    return n;
}

static size_t
fmt_v6(char *p, const uint8_t a[16])
{
    static const char hex[] = "0123456789abcdef";
    unsigned g[8];
    int best = -1, best_len = 0;
    size_t n = 0;
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    if (best_len < 2) {
        best = -1;
        best_len = 0;
    }
    if (memcmp(a, v4mapped_prefix, 12) == 0) {
        memcpy(p, "::ffff:", 7);
        return 7 + fmt_v4(p + 7, a + 12);
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            p[n++] = ':';
            p[n++] = ':';
            i += best_len - 1;
            continue;
        }
        if (i && i != best + best_len)
            p[n++] = ':';
        bool started = false;
        for (int sh = 12; sh >= 0; sh -= 4) {
            unsigned d = (g[i] >> sh) & 15;
            if (d || started || sh == 0) {
                p[n++] = hex[d];
                started = true;
            }
        }
    }
    return n;
}

size_t
pl_ip_format(const struct pl_ip *ip, char *buf, size_t size)
{
    char tmp[PL_IP_STRLEN];
    size_t n = is_v6(ip) ? fmt_v6(tmp, ip->a) : fmt_v4(tmp, ip->a);
    if (size == 0)
        return 0;
    if (n > size - 1)
        n = size - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return n;
}

/* ---- sockaddr ---- */

void
pl_ip_from_sockaddr(const struct sockaddr *sa, struct pl_ip *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->family = PL_IP_V4;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        memcpy(ret->a, &in->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        ret->family = PL_IP_V6;
        memcpy(ret->a, &in6->sin6_addr, 16);
    }
}

socklen_t
pl_ip_to_sockaddr(const struct pl_ip *ip, uint16_t port, struct sockaddr_storage *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!is_v6(ip)) {
        struct sockaddr_in *in = (struct sockaddr_in *)(void *)ret;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        memcpy(&in->sin_addr, ip->a, 4);
        return (socklen_t)sizeof(*in);
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)ret;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    memcpy(&in6->sin6_addr, ip->a, 16);
    return (socklen_t)sizeof(*in6);
}

bool
pl_ip_eq(const struct pl_ip *a, const struct pl_ip *b)
{
    if (is_v6(a) != is_v6(b))
        return false;
    return memcmp(a->a, b->a, is_v6(a) ? 16 : 4) == 0;
}

/* ---- CIDR ---- */

int
pl_cidr_parse(struct pl_str s, bool strict, struct pl_cidr *ret)
{
    struct pl_cidr c;
    const char *slash = s.p ? memrchr(s.p, '/', s.len) : NULL;
    if (!slash)
        return -EINVAL;
    size_t alen = (size_t)(slash - s.p);
    struct pl_str bits = pl_str_from(slash + 1, s.len - alen - 1);
    if (pl_ip_parse_strict(pl_str_from(s.p, alen), &c.net) < 0)
        return -EINVAL;
    if (bits.len == 0 || bits.len > 3 || (strict && bits.len > 1 && bits.p[0] == '0'))
        return -EINVAL;
    unsigned prefix = 0;
    for (size_t i = 0; i < bits.len; i++) {
        if (!is_digit(bits.p[i]))
            return -EINVAL;
        prefix = prefix * 10 + (unsigned)(bits.p[i] - '0');
    }
    unsigned max = is_v6(&c.net) ? 128 : 32;
    if (prefix > max || (strict && prefix == 0))
        return -EINVAL;
    c.prefix = (uint8_t)prefix;
    for (unsigned i = 0; i < max / 8; i++) {
        unsigned keep = prefix > 8 * i ? PL_MIN(prefix - 8 * i, 8u) : 0;
        uint8_t mask = (uint8_t)(0xff00u >> keep);
        if (c.net.a[i] & ~mask) {
            if (strict)
                return -EINVAL;
            c.net.a[i] &= mask;
        }
    }
    *ret = c;
    return 0;
}

/* Compare the first `bits` bits of two 16-byte keys. */
static bool
prefix_eq(const uint8_t *x, const uint8_t *y, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (full && memcmp(x, y, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff00u >> rest);
        if ((x[full] ^ y[full]) & mask)
            return false;
    }
    return true;
}

bool
pl_cidr_contains(const struct pl_cidr *c, const struct pl_ip *ip)
{
    /* Work in the 16-byte space where v4 is ::ffff:a.b.c.d; v4-ness must agree. */
    uint8_t net[16], addr[16];
    unsigned prefix = c->prefix;
    if (is_v6(&c->net)) {
        memcpy(net, c->net.a, 16);
        if (prefix > 128)
            return false;
    } else {
        memcpy(net, v4mapped_prefix, 12);
        memcpy(net + 12, c->net.a, 4);
        if (prefix > 32)
            return false;
        prefix += 96;
    }
    if (is_v6(ip)) {
        memcpy(addr, ip->a, 16);
    } else {
        memcpy(addr, v4mapped_prefix, 12);
        memcpy(addr + 12, ip->a, 4);
    }
    bool net_v4 = prefix >= 96 && memcmp(net, v4mapped_prefix, 12) == 0;
    bool addr_v4 = memcmp(addr, v4mapped_prefix, 12) == 0;
    if (net_v4 != addr_v4)
        return false;
    return prefix_eq(net, addr, prefix);
}

bool
pl_cidr_list_contains(const struct pl_cidr_list *l, const struct pl_ip *ip)
{
    if (!l)
        return false;
    for (size_t i = 0; i < l->n; i++)
        if (pl_cidr_contains(&l->v[i], ip))
            return true;
    return false;
}

void
pl_cidr_list_done(struct pl_cidr_list *l)
{
    if (!l)
        return;
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int
pl_cidr_list_add(struct pl_cidr_list *l, const struct pl_cidr *c)
{
    /* Exact-size growth: lists are built at config load and may come from elsewhere. */
    if (l->n >= SIZE_MAX / sizeof(*l->v) - 1)
        return -ENOMEM;
    struct pl_cidr *v = realloc(l->v, (l->n + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    v[l->n] = *c;
    l->v = v;
    l->n++;
    return 0;
}

bool
pl_ip_is_internal(const struct pl_ip *ip, const struct pl_cidr_list *internal,
                  const struct pl_cidr_list *allow)
{
    struct pl_ip u = *ip, e;
    pl_ip_unmap(&u);
    if (pl_cidr_list_contains(allow, &u))
        return false;
    if (pl_cidr_list_contains(internal, &u))
        return true;
    if (!pl_ip_embedded_v4(&u, &e))
        return false;
    return !pl_cidr_list_contains(allow, &e) && pl_cidr_list_contains(internal, &e);
}
