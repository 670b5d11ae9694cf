/*
 * Fuzz target: URL and authority parsing (pl_url_parse, pl_url_parse_authority,
 * pl_url_host_matches, pl_url_host_normalize).
 *
 * Invariants (a violation traps):
 *  - every slice of a parsed URL lies inside the input; the host is non-empty; the path is empty
 *    or starts with '/'; path_and_query starts with '/'; the port is the explicit one or the
 *    scheme default;
 *  - a URL without userinfo matches its own authority as a Host header;
 *  - a host that normalises gives a lower-case result no longer than the input, and normalising
 *    it again is the identity (minus at most one more trailing dot);
 *  - an authority accepted with require_port is accepted without it, with the same result.
 */
#include <stdint.h>
#include <string.h>

#include "http/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)              \
    do {                      \
        if (!(x))             \
            __builtin_trap(); \
    } while (0)

static void
check_slice(struct pl_str s, struct pl_str in)
{
    if (s.len == 0)
        return;
    CHECK(s.p >= in.p && s.len <= in.len && (size_t)(s.p - in.p) <= in.len - s.len);
}

static void
check_normalize(struct pl_str host)
{
    char buf[300], again[300];
    int n = pl_url_host_normalize(host, buf, sizeof(buf));
    CHECK(n == -EINVAL || n == -E2BIG || n > 0);
    if (n <= 0)
        return;
    CHECK((size_t)n <= host.len && buf[n] == '\0');
    for (int i = 0; i < n; i++)
        CHECK(!(buf[i] >= 'A' && buf[i] <= 'Z'));
    int m = pl_url_host_normalize(pl_str_from(buf, (size_t)n), again, sizeof(again));
    if (buf[n - 1] == '.')
        CHECK(m == n - 1 || m == -EINVAL);
    else
        CHECK(m == n && memcmp(buf, again, (size_t)n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pl_str in = pl_str_from((const char *)data, size);
    struct pl_url u;

    if (pl_url_parse(in, &u) == 0) {
        check_slice(u.scheme, in);
        check_slice(u.userinfo, in);
        check_slice(u.host, in);
        check_slice(u.authority, in);
        check_slice(u.path, in);
        check_slice(u.query, in);
        check_slice(u.fragment, in);
        CHECK(u.scheme.len > 0 && u.host.len > 0 && u.authority.len >= u.host.len);
        CHECK(u.path.len == 0 || u.path.p[0] == '/');
        CHECK(u.path_and_query.len > 0 && u.path_and_query.p[0] == '/');
        if (u.path.len)
            check_slice(u.path_and_query, in);
        if (!u.has_port)
            CHECK(u.port == pl_url_default_port(u.scheme_id));
        if (!u.has_userinfo)
            CHECK(pl_url_host_matches(&u, u.authority));
        else
            CHECK(!pl_url_host_matches(&u, u.authority));
        if (!u.host_is_ipv6)
            CHECK(memchr(u.host.p, ':', u.host.len) == NULL);
        check_normalize(u.host);
    }

    struct pl_str host1 = PL_STR_NULL, host2 = PL_STR_NULL;
    uint16_t port1 = 0, port2 = 0;
    bool v61 = false, v62 = false;
    int r1 = pl_url_parse_authority(in, true, 0, &host1, &port1, &v61);
    int r2 = pl_url_parse_authority(in, false, 8080, &host2, &port2, &v62);
    CHECK(r1 == 0 || r1 == -EINVAL);
    CHECK(r2 == 0 || r2 == -EINVAL);
    if (r1 == 0) {
        CHECK(r2 == 0 && pl_str_eq(host1, host2) && port1 == port2 && v61 == v62);
        check_slice(host1, in);
        CHECK(host1.len > 0);
    }
    if (r2 == 0)
        check_normalize(host2);
    check_normalize(in);
    return 0;
}
