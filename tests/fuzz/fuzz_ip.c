/*
 * Fuzz target for scan/ip and scan/domain. The input is used whole as a URL host, as a CIDR
 * (strict and lax) and as a host to match. Besides "no crash", it checks invariants:
 * parse -> format -> strict re-parse gives the same address, formatting is idempotent, strict
 * CIDRs are a subset of lax ones, and the notation parsers agree with glibc's inet_aton()
 * and inet_pton() wherever the notations overlap.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/domain.h"
#include "scan/ip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz_ip: invariant failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

static struct pl_cidr_list def_list, core_list;

static void
load(struct pl_cidr_list *l, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct pl_cidr c;
        CHECK(pl_cidr_parse(pl_str_c(v[i]), true, &c) == 0);
        CHECK(pl_cidr_list_add(l, &c) == 0);
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    load(&def_list, pl_ip_default_internal, pl_ip_default_internal_count);
    load(&core_list, pl_ip_core_internal, pl_ip_core_internal_count);
    return 0;
}

static bool
has_any(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\0' && strchr(set, s[i]))
            return true;
    return false;
}

static bool
has_byte(const char *s, size_t n, char c)
{
    return memchr(s, c, n) != NULL;
}

/* A part spelled "0x"/"0X" with no digits: WHATWG reads 0, inet_aton() refuses it. */
static bool
has_empty_hex_part(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (i - start == 2 && s[start] == '0' && (s[start + 1] == 'x' || s[start + 1] == 'X'))
            return true;
        start = i + 1;
    }
    return false;
}

static void
check_ip(const struct pl_ip *ip)
{
    char text[PL_IP_STRLEN], again[PL_IP_STRLEN];
    size_t n = pl_ip_format(ip, text, sizeof(text));
    CHECK(n > 0 && n < PL_IP_STRLEN && n == strlen(text));
    if (ip->family == PL_IP_V4) {
        for (int i = 4; i < 16; i++)
            CHECK(ip->a[i] == 0);
    }
    struct pl_ip back;
    CHECK(pl_ip_parse_strict(pl_str_from(text, n), &back) == 0);
    CHECK(pl_ip_eq(ip, &back));
    CHECK(pl_ip_parse_host(pl_str_from(text, n), &back) == 0);
    CHECK(pl_ip_eq(ip, &back));
    CHECK(pl_ip_format(&back, again, sizeof(again)) == n && memcmp(text, again, n) == 0);

    /* Formatting agrees with glibc except where glibc prints ::a.b.c.d. */
    if (ip->family == PL_IP_V6) {
        char nt[INET6_ADDRSTRLEN];
        CHECK(inet_ntop(AF_INET6, ip->a, nt, sizeof(nt)) != NULL);
        static const uint8_t zero12[12] = {0};
        if (!(memcmp(ip->a, zero12, 12) == 0 && strchr(nt, '.')))
            CHECK(strcmp(nt, text) == 0);
    }

    /* sockaddr round trip. */
    struct sockaddr_storage ss;
    socklen_t sl = pl_ip_to_sockaddr(ip, 443, &ss);
    CHECK(sl ==
          (ip->family == PL_IP_V4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)));
    pl_ip_from_sockaddr((const struct sockaddr *)&ss, &back);
    CHECK(pl_ip_eq(ip, &back));

    /* Classification: the floor is a subset of the defaults; unmapping changes nothing. */
    struct pl_ip u = *ip, e;
    pl_ip_unmap(&u);
    bool in_def = pl_ip_is_internal(ip, &def_list, NULL);
    bool in_core = pl_ip_is_internal(ip, &core_list, NULL);
    CHECK(!in_core || in_def);
    CHECK(pl_ip_is_internal(&u, &def_list, NULL) == in_def);
    CHECK(!pl_ip_is_internal(ip, NULL, NULL));
    CHECK(!pl_ip_is_internal(ip, &def_list, &def_list));
    if (pl_cidr_list_contains(&def_list, ip))
        CHECK(in_def);
    if (pl_ip_embedded_v4(&u, &e)) {
        CHECK(e.family == PL_IP_V4);
        if (pl_cidr_list_contains(&core_list, &e))
            CHECK(in_core);
    }
}

static void
check_cidr(const char *s, size_t size)
{
    struct pl_cidr strict, lax;
    int rs = pl_cidr_parse(pl_str_from(s, size), true, &strict);
    int rl = pl_cidr_parse(pl_str_from(s, size), false, &lax);
    CHECK(rs == 0 || rs == -EINVAL);
    CHECK(rl == 0 || rl == -EINVAL);
    if (rs == 0) {
        CHECK(rl == 0);
        CHECK(pl_ip_eq(&strict.net, &lax.net) && strict.prefix == lax.prefix);
        CHECK(strict.prefix > 0);
    }
    if (rl != 0)
        return;
    CHECK(lax.prefix <= (lax.net.family == PL_IP_V4 ? 32 : 128));
    CHECK(pl_cidr_contains(&lax, &lax.net));
    /* The canonical spelling re-parses strictly (except /0) to the same CIDR. */
    char text[PL_IP_STRLEN + 8];
    size_t n = pl_ip_format(&lax.net, text, PL_IP_STRLEN);
    n += (size_t)snprintf(text + n, sizeof(text) - n, "/%u", lax.prefix);
    struct pl_cidr again;
    int ra = pl_cidr_parse(pl_str_from(text, n), true, &again);
    if (lax.prefix == 0) {
        CHECK(ra == -EINVAL);
    } else {
        CHECK(ra == 0);
        CHECK(pl_ip_eq(&again.net, &lax.net) && again.prefix == lax.prefix);
    }
}

static void
check_domain(const char *s, size_t size)
{
    static const char *const patterns[] = {"*.example.com", "example.com", "127.0.0.1",
                                           "::1",           "*.0.0.1",     "1.2.3.4.5"};
    struct pl_str host = pl_str_from(s, size);
    bool any = false;
    /* Upper-casing ASCII never changes an answer. */
    char *up = malloc(size + 1);
    CHECK(up != NULL);
    for (size_t i = 0; i < size; i++)
        up[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    for (size_t i = 0; i < PL_ARRAY_SIZE(patterns); i++) {
        bool m = pl_domain_match(host, pl_str_c(patterns[i]));
        CHECK(m == pl_domain_match(pl_str_from(up, size), pl_str_c(patterns[i])));
        any = any || m;
    }
    CHECK(pl_domain_match_any(host, (char *const *)patterns, PL_ARRAY_SIZE(patterns)) == any);
    free(up);
    /* A host matches itself unless it is empty once its trailing dot is gone. */
    size_t eff = size && s[size - 1] == '.' ? size - 1 : size;
    if (eff > 0)
        CHECK(pl_domain_match(host, host));
    /* Wildcard semantics for names, against a direct check. */
    struct pl_ip ip;
    if (pl_ip_parse_host(host, &ip) == -EINVAL) {
        struct pl_str h = pl_str_from(s, eff);
        bool want = pl_str_eq_ci(h, PL_STR("example.com")) ||
                    (h.len >= 12 && pl_str_has_suffix_ci(h, ".example.com"));
        CHECK(pl_domain_match(host, PL_STR("*.example.com")) == want);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct pl_ip ip;
    char *z = malloc(size + 1);
    if (!z)
        return 0;
    memcpy(z, data, size);
    z[size] = '\0';

    int r = pl_ip_parse_host(pl_str_from(s, size), &ip);
    CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
    if (r == 0)
        check_ip(&ip);

    bool nul = has_byte(s, size, '\0');
    bool space = has_any(s, size, " \t\n\v\f\r");
    bool colon = has_byte(s, size, ':');
    bool special = has_byte(s, size, '[') || has_byte(s, size, ']') || has_byte(s, size, '%');

    /* IPv4 differential against inet_aton (which stops at whitespace, so skip those). */
    if (!nul && !space && !colon && !special) {
        struct in_addr ref;
        int ra = inet_aton(z, &ref);
        if (ra == 1) {
            CHECK(r == 0 && ip.family == PL_IP_V4 && memcmp(ip.a, &ref, 4) == 0);
        } else {
            /* Only the WHATWG extras (trailing dot, bare "0x") are accepted beyond it. */
            CHECK(r != 0 || s[size - 1] == '.' || has_empty_hex_part(s, size));
        }
    }
    /* IPv6 differential against inet_pton. */
    if (!nul && colon && !special) {
        uint8_t ref[16];
        int rp = inet_pton(AF_INET6, z, ref);
        CHECK((rp == 1) == (r == 0));
        if (rp == 1)
            CHECK(ip.family == PL_IP_V6 && memcmp(ip.a, ref, 16) == 0);
    }
    /* Strict parsing accepts a subset of what host parsing accepts, with the same result. */
    struct pl_ip st;
    if (pl_ip_parse_strict(pl_str_from(s, size), &st) == 0) {
        CHECK(r == 0 && pl_ip_eq(&st, &ip));
        check_ip(&st);
    }
    check_cidr(s, size);
    check_domain(s, size);
    free(z);
    return 0;
}
