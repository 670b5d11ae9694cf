/* Unit tests of scan/ip: host literal parsing, formatting, CIDR sets, SSRF classification. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <string.h>

#include "scan/ip.h"

#define OK 0

struct parse_case {
    const char *in;
    int want;          /* 0, -EINVAL or -ERANGE */
    const char *canon; /* expected pl_ip_format() output when want == 0 */
};

/* Every host notation: parse with pl_ip_parse_host, then canonical text or error. */
static const struct parse_case host_cases[] = {
    /* dotted quad */
    {"127.0.0.1", OK, "127.0.0.1"},
    {"1.2.3.4", OK, "1.2.3.4"},
    {"0.0.0.0", OK, "0.0.0.0"},
    {"255.255.255.255", OK, "255.255.255.255"},
    {"127.0.0.1.", OK, "127.0.0.1"},
    {"127.000.000.001", OK, "127.0.0.1"},
    /* single integer: decimal, hex, octal, leading zeros */
    {"2130706433", OK, "127.0.0.1"},
    {"0x7f000001", OK, "127.0.0.1"},
    {"0X7F000001", OK, "127.0.0.1"},
    {"0x7F000001.", OK, "127.0.0.1"},
    {"017700000001", OK, "127.0.0.1"},
    {"0x00000000007f000001", OK, "127.0.0.1"},
    {"000000000000000000000017700000001", OK, "127.0.0.1"},
    {"2852039166", OK, "169.254.169.254"},
    {"0xA9FEA9FE", OK, "169.254.169.254"},
    {"4294967295", OK, "255.255.255.255"},
    {"0xffffffff", OK, "255.255.255.255"},
    {"037777777777", OK, "255.255.255.255"},
    {"0", OK, "0.0.0.0"},
    {"0x", OK, "0.0.0.0"},
    {"1", OK, "0.0.0.1"},
    {"1.", OK, "0.0.0.1"},
    /* per-part radix, four parts */
    {"0177.0.0.1", OK, "127.0.0.1"},
    {"0x7f.0.0.1", OK, "127.0.0.1"},
    {"0x7f.0.0.01", OK, "127.0.0.1"},
    {"0x7F.0X0.00.0x1", OK, "127.0.0.1"},
    {"0xa9.0xfe.0xa9.0xfe", OK, "169.254.169.254"},
    {"010.0.0.1", OK, "8.0.0.1"},
    {"0x0a.0.0.1", OK, "10.0.0.1"},
    {"0x.0x.0x.0x", OK, "0.0.0.0"},
    {"0300.0250.01.01", OK, "192.168.1.1"},
    /* shorthand: 1, 2 and 3 parts, mixed radix */
    {"127.1", OK, "127.0.0.1"},
    {"127.0.1", OK, "127.0.0.1"},
    {"0x7F.1", OK, "127.0.0.1"},
    {"0X7F.1", OK, "127.0.0.1"},
    {"0177.1", OK, "127.0.0.1"},
    {"10.1", OK, "10.0.0.1"},
    {"169.254.43518", OK, "169.254.169.254"},
    {"169.0xfea9fe", OK, "169.254.169.254"},
    {"192.168.257", OK, "192.168.1.1"},
    {"1.0x10000", OK, "1.1.0.0"},
    {"1.2.65535", OK, "1.2.255.255"},
    {"1.16777215", OK, "1.255.255.255"},
    /* out of range or malformed numeric hosts: never names */
    {"256.0.0.1", -ERANGE, NULL},
    {"1.2.3.256", -ERANGE, NULL},
    {"1.2.3.4.5", -ERANGE, NULL},
    {"1.2.3.4.5.", -ERANGE, NULL},
    {"0x100000000", -ERANGE, NULL},
    {"0x1ffffffff", -ERANGE, NULL},
    {"4294967296", -ERANGE, NULL},
    {"040000000000", -ERANGE, NULL},
    {"99999999999999999999999999", -ERANGE, NULL},
    {"0xfffffffffffffffffffffffff", -ERANGE, NULL},
    {"08.1.1.1", -ERANGE, NULL},
    {"1.2.3.08", -ERANGE, NULL},
    {"09", -ERANGE, NULL},
    {"0x7g.1", -ERANGE, NULL},
    {"1.2.65536", -ERANGE, NULL},
    {"1.16777216", -ERANGE, NULL},
    {"256.1", -ERANGE, NULL},
    {"1..2.3", -ERANGE, NULL},
    {".1", -ERANGE, NULL},
    {"example.1", -ERANGE, NULL},
    {"foo.0x10", -ERANGE, NULL},
    {"127.0.0.1..", -ERANGE, NULL},
    {"127.0.0.1%eth0", -ERANGE, NULL},
    {"127.1 x", -ERANGE, NULL},
    {"127.0.0.1\t", -ERANGE, NULL},
    {"2130706433\n", -ERANGE, NULL},
    /* names */
    {"example.com", -EINVAL, NULL},
    {"example.com.", -EINVAL, NULL},
    {"localhost", -EINVAL, NULL},
    {"metadata.google.internal", -EINVAL, NULL},
    {"123.example.com", -EINVAL, NULL},
    {"0x7f.example", -EINVAL, NULL},
    {"1.2.3.4a", -EINVAL, NULL},
    {"0x7g", -EINVAL, NULL},
    {"1e3", -EINVAL, NULL},
    {"deadbeef", -EINVAL, NULL},
    {"1.2.3.-1", -EINVAL, NULL},
    {"a..", -EINVAL, NULL},
    {".", -EINVAL, NULL},
    {"", -EINVAL, NULL},
    {"xn--nxasmq6b.com", -EINVAL, NULL},
    {"exa mple.com", -EINVAL, NULL},
    /* IPv6 */
    {"::1", OK, "::1"},
    {"[::1]", OK, "::1"},
    {"[0:0:0:0:0:0:0:1]", OK, "::1"},
    {"::", OK, "::"},
    {"[::]", OK, "::"},
    {"::ffff:127.0.0.1", OK, "::ffff:127.0.0.1"},
    {"::ffff:7f00:1", OK, "::ffff:127.0.0.1"},
    {"[::FFFF:7F00:1]", OK, "::ffff:127.0.0.1"},
    {"0:0:0:0:0:ffff:a9fe:a9fe", OK, "::ffff:169.254.169.254"},
    {"::ffff:0:0", OK, "::ffff:0.0.0.0"},
    {"::127.0.0.1", OK, "::7f00:1"},
    {"64:ff9b::7f00:1", OK, "64:ff9b::7f00:1"},
    {"64:ff9b::127.0.0.1", OK, "64:ff9b::7f00:1"},
    {"fe80::1%eth0", OK, "fe80::1"},
    {"[fe80::1%25eth0]", OK, "fe80::1"},
    {"[fe80::1%eth0]", OK, "fe80::1"},
    {"FE80::1%1", OK, "fe80::1"},
    {"2001:db8:0:0:1:0:0:1", OK, "2001:db8::1:0:0:1"},
    {"2001:DB8::1", OK, "2001:db8::1"},
    {"2001:0db8:0000:0000:0000:0000:0000:0001", OK, "2001:db8::1"},
    {"2001:db8:0:1:1:1:1:1", OK, "2001:db8:0:1:1:1:1:1"},
    {"1:0:0:2:0:0:0:3", OK, "1:0:0:2::3"},
    {"1:2:3:4:5:6:7::", OK, "1:2:3:4:5:6:7:0"},
    {"::2:3:4:5:6:7:8", OK, "0:2:3:4:5:6:7:8"},
    {"1:2:3:4:5:6:1.2.3.4", OK, "1:2:3:4:5:6:102:304"},
    {"1::", OK, "1::"},
    {"fd00:ec2::254", OK, "fd00:ec2::254"},
    {"ff02::1", OK, "ff02::1"},
    {"2002:7f00:1::", OK, "2002:7f00:1::"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", OK, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    {"0:0:1:0:0:1:0:0", OK, "::1:0:0:1:0:0"},
    /* malformed IPv6: never names */
    {"[::1", -ERANGE, NULL},
    {"::1]", -ERANGE, NULL},
    {"[]", -ERANGE, NULL},
    {"[", -ERANGE, NULL},
    {"[example.com]", -ERANGE, NULL},
    {"[127.0.0.1]", -ERANGE, NULL},
    {"[0x7f.1]", -ERANGE, NULL},
    {"[::1]:80", -ERANGE, NULL},
    {"example.com:80", -ERANGE, NULL},
    {":::", -ERANGE, NULL},
    {"1::2::3", -ERANGE, NULL},
    {"1:2:3:4:5:6:7:8:9", -ERANGE, NULL},
    {"1:2:3:4:5:6:7", -ERANGE, NULL},
    {"1:2:3:4:5:6:7:8::", -ERANGE, NULL},
    {"1:2:3:4:5:6:7::8", -ERANGE, NULL},
    {"12345::", -ERANGE, NULL},
    {":1", -ERANGE, NULL},
    {"1:", -ERANGE, NULL},
    {"::g", -ERANGE, NULL},
    {"::ffff:127.0.0.01", -ERANGE, NULL},
    {"::ffff:256.0.0.1", -ERANGE, NULL},
    {"::ffff:127.1", -ERANGE, NULL},
    {"::1.2.3.4:5", -ERANGE, NULL},
    {"1:2:3:4:5:6:7:1.2.3.4", -ERANGE, NULL},
    {"fe80::1%", -ERANGE, NULL},
    {"fe80::1%eth 0", -ERANGE, NULL},
    {"[fe80::1%eth0/x]", -ERANGE, NULL},
};

Test(ip, parse_host_table)
{
    size_t ok = 0;
    for (size_t i = 0; i < PL_ARRAY_SIZE(host_cases); i++) {
        const struct parse_case *c = &host_cases[i];
        struct pl_ip ip;
        memset(&ip, 0xa5, sizeof(ip));
        int r = pl_ip_parse_host(pl_str_c(c->in), &ip);
        cr_expect_eq(r, c->want, "parse_host(\"%s\") = %d, want %d", c->in, r, c->want);
        if (r != 0 || c->want != 0)
            continue;
        char buf[PL_IP_STRLEN];
        size_t n = pl_ip_format(&ip, buf, sizeof(buf));
        cr_expect_str_eq(buf, c->canon, "format(parse_host(\"%s\")) = %s, want %s", c->in, buf,
                         c->canon);
        cr_expect_eq(n, strlen(c->canon), "length for %s", c->in);
        /* Canonical text re-parses strictly to the same address. */
        struct pl_ip again;
        cr_expect_eq(pl_ip_parse_strict(pl_str_c(buf), &again), 0, "strict(%s)", buf);
        cr_expect(pl_ip_eq(&ip, &again), "round trip of %s", c->in);
        ok++;
    }
    cr_expect_geq(PL_ARRAY_SIZE(host_cases), 60);
    cr_expect_gt(ok, 60);
}

Test(ip, parse_host_failure_leaves_output_untouched)
{
    struct pl_ip ip, before;
    memset(&ip, 0x5a, sizeof(ip));
    before = ip;
    cr_expect_eq(pl_ip_parse_host(PL_STR("256.1.1.1"), &ip), -ERANGE);
    cr_expect_eq(pl_ip_parse_host(PL_STR("example.com"), &ip), -EINVAL);
    cr_expect_eq(pl_ip_parse_host(PL_STR("[::1"), &ip), -ERANGE);
    cr_expect_eq(memcmp(&ip, &before, sizeof(ip)), 0);
    cr_expect_eq(pl_ip_parse_host(PL_STR_NULL, &ip), -EINVAL);
}

Test(ip, parse_host_zeroes_unused_bytes)
{
    struct pl_ip ip;
    memset(&ip, 0xff, sizeof(ip));
    cr_assert_eq(pl_ip_parse_host(PL_STR("10.1"), &ip), 0);
    cr_expect_eq(ip.family, PL_IP_V4);
    for (int i = 4; i < 16; i++)
        cr_expect_eq(ip.a[i], 0, "byte %d", i);
}

Test(ip, parse_host_does_not_read_past_len)
{
    /* "127.0.0.1" followed by bytes that would change the answer if read. */
    const char buf[] = "127.0.0.1999";
    struct pl_ip ip;
    cr_assert_eq(pl_ip_parse_host(pl_str_from(buf, 9), &ip), 0);
    cr_expect_eq(ip.a[3], 1);
    const char v6[] = "::1:2";
    cr_assert_eq(pl_ip_parse_host(pl_str_from(v6, 3), &ip), 0);
    cr_expect_eq(ip.a[15], 1);
    cr_expect_eq(ip.a[13], 0);
}

struct strict_case {
    const char *in;
    int want;
};

static const struct strict_case strict_cases[] = {
    {"1.2.3.4", 0},
    {"0.0.0.0", 0},
    {"255.255.255.255", 0},
    {"::1", 0},
    {"::ffff:1.2.3.4", 0},
    {"2001:db8::", 0},
    {"01.2.3.4", -EINVAL},
    {"1.2.3.04", -EINVAL},
    {"127.1", -EINVAL},
    {"2130706433", -EINVAL},
    {"0x7f.0.0.1", -EINVAL},
    {"1.2.3.4.", -EINVAL},
    {" 1.2.3.4", -EINVAL},
    {"1.2.3.4 ", -EINVAL},
    {"256.1.1.1", -EINVAL},
    {"1.2.3", -EINVAL},
    {"1.2.3.4.5", -EINVAL},
    {"1234.1.1.1", -EINVAL},
    {"[::1]", -EINVAL},
    {"fe80::1%eth0", -EINVAL},
    {"1.2.3.4/8", -EINVAL},
    {"", -EINVAL},
    {"::ffff:1.2.3.04", -EINVAL},
    {"example.com", -EINVAL},
};

Test(ip, parse_strict_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(strict_cases); i++) {
        struct pl_ip ip;
        int r = pl_ip_parse_strict(pl_str_c(strict_cases[i].in), &ip);
        cr_expect_eq(r, strict_cases[i].want, "strict(\"%s\") = %d", strict_cases[i].in, r);
    }
}

Test(ip, unmap)
{
    struct pl_ip ip;
    cr_assert_eq(pl_ip_parse_host(PL_STR("::ffff:7f00:1"), &ip), 0);
    pl_ip_unmap(&ip);
    cr_expect_eq(ip.family, PL_IP_V4);
    cr_expect_eq(memcmp(ip.a, "\x7f\0\0\1", 4), 0);
    for (int i = 4; i < 16; i++)
        cr_expect_eq(ip.a[i], 0);
    /* IPv4-compatible and NAT64 are not mapped: unchanged. */
    struct pl_ip compat, before;
    cr_assert_eq(pl_ip_parse_host(PL_STR("::127.0.0.1"), &compat), 0);
    before = compat;
    pl_ip_unmap(&compat);
    cr_expect(pl_ip_eq(&compat, &before));
    cr_expect_eq(compat.family, PL_IP_V6);
    struct pl_ip v4;
    cr_assert_eq(pl_ip_parse_host(PL_STR("1.2.3.4"), &v4), 0);
    before = v4;
    pl_ip_unmap(&v4);
    cr_expect(pl_ip_eq(&v4, &before));
}

Test(ip, eq)
{
    struct pl_ip a, b, m;
    cr_assert_eq(pl_ip_parse_host(PL_STR("127.0.0.1"), &a), 0);
    cr_assert_eq(pl_ip_parse_host(PL_STR("0x7f.1"), &b), 0);
    cr_assert_eq(pl_ip_parse_host(PL_STR("::ffff:127.0.0.1"), &m), 0);
    cr_expect(pl_ip_eq(&a, &b));
    cr_expect_not(pl_ip_eq(&a, &m));
    b.a[3] = 2;
    cr_expect_not(pl_ip_eq(&a, &b));
}

Test(ip, format_truncates_safely)
{
    struct pl_ip ip;
    char buf[8];
    cr_assert_eq(pl_ip_parse_host(PL_STR("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), &ip), 0);
    memset(buf, 'X', sizeof(buf));
    size_t n = pl_ip_format(&ip, buf, 5);
    cr_expect_eq(n, 4);
    cr_expect_str_eq(buf, "ffff");
    cr_expect_eq(buf[5], 'X');
    cr_expect_eq(pl_ip_format(&ip, buf, 0), 0);
    cr_expect_eq(buf[0], 'f');
    cr_expect_eq(pl_ip_format(&ip, buf, 1), 0);
    cr_expect_eq(buf[0], '\0');
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t
rng(void)
{
    /* xorshift64*: deterministic so a failure reproduces. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717u;
}

/* Differential: our IPv4 notations agree with glibc inet_aton() on generated forms. */
Test(ip, v4_notations_agree_with_inet_aton)
{
    for (int iter = 0; iter < 20000; iter++) {
        uint32_t v = (uint32_t)rng();
        if (iter < 16)
            v = (uint32_t[]){0,          1,          255,        256,        0x7f000001, 0xffffffff,
                             0xfffffffe, 0x80000000, 0x7fffffff, 0xa9fea9fe, 0x0a000000, 0xac100000,
                             0xc0a80000, 0x64400000, 0xe0000000, 0xff}[iter];
        int parts = 1 + (int)(rng() % 4);
        char text[96];
        size_t off = 0;
        for (int p = 0; p < parts; p++) {
            uint32_t val;
            if (p < parts - 1) {
                val = (v >> (24 - 8 * p)) & 0xff;
            } else {
                int bits = 32 - 8 * (parts - 1);
                val = bits == 32 ? v : v & ((1u << bits) - 1);
            }
            int w = snprintf(text + off, sizeof(text) - off, "%s", p ? "." : "");
            off += (size_t)w;
            switch (rng() % 4) {
            case 0:
                w = snprintf(text + off, sizeof(text) - off, "%u", val);
                break;
            case 1:
                w = snprintf(text + off, sizeof(text) - off, "0x%x", val);
                break;
            case 2:
                w = snprintf(text + off, sizeof(text) - off, "0X%X", val);
                break;
            default:
                w = snprintf(text + off, sizeof(text) - off, "0%o", val);
                break;
            }
            off += (size_t)w;
        }
        struct pl_ip ip;
        struct in_addr ref;
        int r = pl_ip_parse_host(pl_str_c(text), &ip);
        cr_assert_eq(r, 0, "parse_host(%s) = %d", text, r);
        cr_assert_eq(inet_aton(text, &ref), 1, "inet_aton(%s)", text);
        cr_assert_eq(memcmp(ip.a, &ref, 4), 0, "%s", text);
        uint32_t got =
            (uint32_t)ip.a[0] << 24 | (uint32_t)ip.a[1] << 16 | (uint32_t)ip.a[2] << 8 | ip.a[3];
        cr_assert_eq(got, v, "%s", text);
    }
}

/* Differential: IPv6 format/parse agree with inet_pton(); format output is RFC 5952-shaped. */
Test(ip, v6_round_trip_against_inet_pton)
{
    for (int iter = 0; iter < 20000; iter++) {
        struct pl_ip ip;
        memset(&ip, 0, sizeof(ip));
        ip.family = PL_IP_V6;
        for (int g = 0; g < 8; g++) {
            /* Plenty of zero groups so that every compression position is exercised. */
            uint64_t x = rng();
            uint16_t w = (x & 3) ? 0 : (uint16_t)(x >> 16);
            if ((x & 0x30) == 0x10)
                w = (uint16_t)(x >> 40) & 0xf;
            ip.a[2 * g] = (uint8_t)(w >> 8);
            ip.a[2 * g + 1] = (uint8_t)w;
        }
        if (iter % 7 == 0)
            memcpy(ip.a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
        char buf[PL_IP_STRLEN];
        size_t n = pl_ip_format(&ip, buf, sizeof(buf));
        cr_assert_eq(n, strlen(buf));
        uint8_t ref[16];
        cr_assert_eq(inet_pton(AF_INET6, buf, ref), 1, "inet_pton(%s)", buf);
        cr_assert_eq(memcmp(ref, ip.a, 16), 0, "%s", buf);
        struct pl_ip back;
        cr_assert_eq(pl_ip_parse_strict(pl_str_c(buf), &back), 0, "%s", buf);
        cr_assert(pl_ip_eq(&back, &ip), "%s", buf);
        /* RFC 5952: lower case, at most one "::". */
        cr_assert_null(strpbrk(buf, "ABCDEF"), "%s", buf);
        const char *dc = strstr(buf, "::");
        if (dc)
            cr_assert_null(strstr(dc + 1, "::"), "%s", buf);
        /* The text inet_ntop produces parses back too. */
        char nt[INET6_ADDRSTRLEN];
        cr_assert_not_null(inet_ntop(AF_INET6, ip.a, nt, sizeof(nt)));
        cr_assert_eq(pl_ip_parse_strict(pl_str_c(nt), &back), 0, "%s", nt);
        cr_assert(pl_ip_eq(&back, &ip), "%s", nt);
        /* glibc's inet_ntop is RFC 5952 (longest run, first on a tie, never a single group)
         * except that it also prints IPv4-compatible ::a.b.c.d dotted; compare elsewhere. */
        bool compat = memcmp(ip.a, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) == 0;
        if (!(compat && strchr(nt, '.')))
            cr_assert_str_eq(buf, nt, "ours %s, inet_ntop %s", buf, nt);
    }
}

Test(ip, sockaddr_round_trip)
{
    struct pl_ip ip, back;
    struct sockaddr_storage ss;
    cr_assert_eq(pl_ip_parse_host(PL_STR("10.1.2.3"), &ip), 0);
    socklen_t len = pl_ip_to_sockaddr(&ip, 8080, &ss);
    cr_expect_eq(len, sizeof(struct sockaddr_in));
    const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
    cr_expect_eq(in->sin_family, AF_INET);
    cr_expect_eq(ntohs(in->sin_port), 8080);
    cr_expect_eq(ntohl(in->sin_addr.s_addr), 0x0a010203u);
    pl_ip_from_sockaddr((const struct sockaddr *)&ss, &back);
    cr_expect(pl_ip_eq(&ip, &back));

    cr_assert_eq(pl_ip_parse_host(PL_STR("[2001:db8::5]"), &ip), 0);
    len = pl_ip_to_sockaddr(&ip, 443, &ss);
    cr_expect_eq(len, sizeof(struct sockaddr_in6));
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
    cr_expect_eq(in6->sin6_family, AF_INET6);
    cr_expect_eq(ntohs(in6->sin6_port), 443);
    cr_expect_eq(in6->sin6_addr.s6_addr[15], 5);
    memset(&back, 0xee, sizeof(back));
    pl_ip_from_sockaddr((const struct sockaddr *)&ss, &back);
    cr_expect(pl_ip_eq(&ip, &back));
    cr_expect_eq(memcmp(&ip, &back, sizeof(ip)), 0);

    /* An unknown family fails closed to 0.0.0.0, which the floor treats as internal. */
    struct sockaddr_storage un;
    memset(&un, 0, sizeof(un));
    un.ss_family = AF_UNIX;
    pl_ip_from_sockaddr((const struct sockaddr *)&un, &back);
    cr_expect_eq(back.family, PL_IP_V4);
    cr_expect_eq(memcmp(back.a, "\0\0\0\0", 4), 0);
}

/* ---- CIDR ---- */

struct cidr_case {
    const char *in;
    bool strict;
    int want;
    const char *net; /* formatted network when want == 0 */
    int prefix;
};

static const struct cidr_case cidr_cases[] = {
    {"10.0.0.0/8", true, 0, "10.0.0.0", 8},
    {"10.0.0.0/8", false, 0, "10.0.0.0", 8},
    {"10.1.0.0/8", true, -EINVAL, NULL, 0},
    {"10.1.0.0/8", false, 0, "10.0.0.0", 8},
    {"172.31.255.255/12", false, 0, "172.16.0.0", 12},
    {"172.16.0.0/12", true, 0, "172.16.0.0", 12},
    {"255.255.255.255/1", false, 0, "128.0.0.0", 1},
    {"255.255.255.255/1", true, -EINVAL, NULL, 0},
    {"0.0.0.0/0", true, -EINVAL, NULL, 0},
    {"0.0.0.0/0", false, 0, "0.0.0.0", 0},
    {"1.2.3.4/0", false, 0, "0.0.0.0", 0},
    {"1.2.3.4/32", true, 0, "1.2.3.4", 32},
    {"1.2.3.4/33", false, -EINVAL, NULL, 0},
    {"1.2.3.4/33", true, -EINVAL, NULL, 0},
    {"1.2.3.5/31", true, -EINVAL, NULL, 0},
    {"1.2.3.5/31", false, 0, "1.2.3.4", 31},
    {"1.2.3.4/31", true, 0, "1.2.3.4", 31},
    {"1.2.3.4/30", true, 0, "1.2.3.4", 30},
    {"::/0", true, -EINVAL, NULL, 0},
    {"::/0", false, 0, "::", 0},
    {"::1/128", true, 0, "::1", 128},
    {"::1/129", false, -EINVAL, NULL, 0},
    {"fc00::/7", true, 0, "fc00::", 7},
    {"fd00::/7", true, -EINVAL, NULL, 0},
    {"fd00::/7", false, 0, "fc00::", 7},
    {"fe80::/10", true, 0, "fe80::", 10},
    {"febf::/10", false, 0, "fe80::", 10},
    {"2001:db8::1/64", false, 0, "2001:db8::", 64},
    {"2001:db8::1/127", false, 0, "2001:db8::", 127},
    {"2001:db8::1/128", true, 0, "2001:db8::1", 128},
    {"::ffff:10.0.0.0/104", true, 0, "::ffff:10.0.0.0", 104},
    {"10.0.0.0/08", true, -EINVAL, NULL, 0},
    {"10.0.0.0/08", false, 0, "10.0.0.0", 8},
    {"10.0.0.0/0008", false, -EINVAL, NULL, 0},
    {"10.0.0.0", true, -EINVAL, NULL, 0},
    {"10.0.0.0", false, -EINVAL, NULL, 0},
    {"::1", false, -EINVAL, NULL, 0},
    {"10.0.0.0/", false, -EINVAL, NULL, 0},
    {"/8", false, -EINVAL, NULL, 0},
    {"10.0.0.0/+8", false, -EINVAL, NULL, 0},
    {"10.0.0.0/-8", false, -EINVAL, NULL, 0},
    {"10.0.0.0/8 ", false, -EINVAL, NULL, 0},
    {" 10.0.0.0/8", false, -EINVAL, NULL, 0},
    {"10.0.0.0/8/8", false, -EINVAL, NULL, 0},
    {"10.0.0.0/0x8", false, -EINVAL, NULL, 0},
    {"010.0.0.0/8", false, -EINVAL, NULL, 0},
    {"0x0a.0.0.0/8", false, -EINVAL, NULL, 0},
    {"10/8", false, -EINVAL, NULL, 0},
    {"[::1]/128", false, -EINVAL, NULL, 0},
    {"fe80::%eth0/10", false, -EINVAL, NULL, 0},
    {"example.com/8", false, -EINVAL, NULL, 0},
    {"", false, -EINVAL, NULL, 0},
};

Test(cidr, parse_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(cidr_cases); i++) {
        const struct cidr_case *c = &cidr_cases[i];
        struct pl_cidr cidr;
        memset(&cidr, 0x77, sizeof(cidr));
        struct pl_cidr before = cidr;
        int r = pl_cidr_parse(pl_str_c(c->in), c->strict, &cidr);
        cr_expect_eq(r, c->want, "cidr_parse(\"%s\", %s) = %d", c->in, c->strict ? "strict" : "lax",
                     r);
        if (r != 0) {
            cr_expect_eq(memcmp(&cidr, &before, sizeof(cidr)), 0, "%s: output touched", c->in);
            continue;
        }
        if (c->want != 0)
            continue;
        char buf[PL_IP_STRLEN];
        pl_ip_format(&cidr.net, buf, sizeof(buf));
        cr_expect_str_eq(buf, c->net, "%s: net %s", c->in, buf);
        cr_expect_eq(cidr.prefix, c->prefix, "%s: prefix %d", c->in, cidr.prefix);
    }
}

Test(cidr, default_lists_parse_strictly)
{
    cr_assert_eq(pl_ip_default_internal_count, 12);
    cr_assert_eq(pl_ip_core_internal_count, 10);
    for (size_t i = 0; i < pl_ip_default_internal_count; i++) {
        struct pl_cidr c;
        cr_expect_eq(pl_cidr_parse(pl_str_c(pl_ip_default_internal[i]), true, &c), 0, "%s",
                     pl_ip_default_internal[i]);
    }
    for (size_t i = 0; i < pl_ip_core_internal_count; i++) {
        struct pl_cidr c;
        cr_expect_eq(pl_cidr_parse(pl_str_c(pl_ip_core_internal[i]), true, &c), 0, "%s",
                     pl_ip_core_internal[i]);
        /* The floor is the default list minus the two multicast ranges. */
        bool found = false;
        for (size_t j = 0; j < pl_ip_default_internal_count; j++)
            found = found || strcmp(pl_ip_default_internal[j], pl_ip_core_internal[i]) == 0;
        cr_expect(found, "%s", pl_ip_core_internal[i]);
    }
}

struct contains_case {
    const char *cidr; /* parsed lax */
    const char *ip;   /* parsed with pl_ip_parse_host */
    bool want;
};

static const struct contains_case contains_cases[] = {
    {"10.0.0.0/8", "10.0.0.0", true},
    {"10.0.0.0/8", "10.255.255.255", true},
    {"10.0.0.0/8", "9.255.255.255", false},
    {"10.0.0.0/8", "11.0.0.0", false},
    {"10.0.0.0/8", "::ffff:10.1.2.3", true},
    {"10.0.0.0/8", "::ffff:a01:203", true},
    {"10.0.0.0/8", "::ffff:11.0.0.0", false},
    {"10.0.0.0/8", "::10.1.2.3", false},
    {"10.0.0.0/8", "64:ff9b::10.1.2.3", false},
    {"172.16.0.0/12", "172.15.255.255", false},
    {"172.16.0.0/12", "172.16.0.0", true},
    {"172.16.0.0/12", "172.31.255.255", true},
    {"172.16.0.0/12", "172.32.0.0", false},
    {"100.64.0.0/10", "100.63.255.255", false},
    {"100.64.0.0/10", "100.64.0.0", true},
    {"100.64.0.0/10", "100.127.255.255", true},
    {"100.64.0.0/10", "100.128.0.0", false},
    {"169.254.0.0/16", "169.254.169.254", true},
    {"169.254.0.0/16", "169.253.255.255", false},
    {"0.0.0.0/8", "0.0.0.0", true},
    {"0.0.0.0/8", "0.255.255.255", true},
    {"0.0.0.0/8", "1.0.0.0", false},
    {"224.0.0.0/4", "239.255.255.255", true},
    {"224.0.0.0/4", "240.0.0.0", false},
    {"224.0.0.0/4", "223.255.255.255", false},
    {"1.2.3.4/32", "1.2.3.4", true},
    {"1.2.3.4/32", "1.2.3.5", false},
    {"1.2.3.4/31", "1.2.3.5", true},
    {"0.0.0.0/0", "1.2.3.4", true},
    {"0.0.0.0/0", "::ffff:1.2.3.4", true},
    {"0.0.0.0/0", "::1", false},
    {"fe80::/10", "fe80::1", true},
    {"fe80::/10", "febf:ffff::1", true},
    {"fe80::/10", "fec0::1", false},
    {"fe80::/10", "fe7f:ffff::1", false},
    {"fc00::/7", "fc00::", true},
    {"fc00::/7", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
    {"fc00::/7", "fe00::", false},
    {"fc00::/7", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
    {"ff00::/8", "ff02::1", true},
    {"ff00::/8", "fe00::1", false},
    {"::1/128", "::1", true},
    {"::1/128", "::0.0.0.1", true},
    {"::1/128", "::2", false},
    {"::1/128", "0.0.0.1", false},
    {"::/0", "2001:db8::1", true},
    {"::/0", "1.2.3.4", false},
    {"::/0", "::ffff:1.2.3.4", false},
    {"::ffff:0:0/96", "1.2.3.4", true},
    {"::ffff:0:0/96", "::ffff:1.2.3.4", true},
    {"::ffff:0:0/96", "::1.2.3.4", false},
    {"::ffff:10.0.0.0/104", "10.9.9.9", true},
    {"::ffff:10.0.0.0/104", "11.9.9.9", false},
    {"2001:db8::/127", "2001:db8::1", true},
    {"2001:db8::/127", "2001:db8::2", false},
};

Test(cidr, contains_table)
{
    for (size_t i = 0; i < PL_ARRAY_SIZE(contains_cases); i++) {
        const struct contains_case *c = &contains_cases[i];
        struct pl_cidr cidr;
        struct pl_ip ip;
        cr_assert_eq(pl_cidr_parse(pl_str_c(c->cidr), false, &cidr), 0, "%s", c->cidr);
        cr_assert_eq(pl_ip_parse_host(pl_str_c(c->ip), &ip), 0, "%s", c->ip);
        cr_expect_eq(pl_cidr_contains(&cidr, &ip), c->want, "%s in %s", c->ip, c->cidr);
    }
}

/* Every prefix length: the first and last address are in, their neighbours are out. */
Test(cidr, prefix_boundaries_every_length)
{
    for (unsigned bits = 1; bits <= 32; bits++) {
        uint32_t base = 0xc0a80000u & (bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits));
        char text[40];
        snprintf(text, sizeof(text), "%u.%u.%u.%u/%u", base >> 24, (base >> 16) & 255,
                 (base >> 8) & 255, base & 255, bits);
        struct pl_cidr c;
        cr_assert_eq(pl_cidr_parse(pl_str_c(text), true, &c), 0, "%s", text);
        uint32_t last = base | (bits == 32 ? 0 : 0xffffffffu >> bits);
        struct pl_ip ip;
        memset(&ip, 0, sizeof(ip));
        ip.family = PL_IP_V4;
        uint32_t probes[4] = {base, last, base - 1, last + 1};
        for (int k = 0; k < 4; k++) {
            ip.a[0] = (uint8_t)(probes[k] >> 24);
            ip.a[1] = (uint8_t)(probes[k] >> 16);
            ip.a[2] = (uint8_t)(probes[k] >> 8);
            ip.a[3] = (uint8_t)probes[k];
            /* base has its top bit set, so neither neighbour wraps into the range. */
            cr_expect_eq(pl_cidr_contains(&c, &ip), k < 2, "%s probe %d", text, k);
        }
    }
    for (unsigned bits = 1; bits <= 128; bits++) {
        char text[64];
        snprintf(text, sizeof(text), "2001:db8::/%u", bits);
        struct pl_cidr c;
        cr_assert_eq(pl_cidr_parse(pl_str_c(text), false, &c), 0, "%s", text);
        struct pl_ip ip = c.net;
        cr_expect(pl_cidr_contains(&c, &ip), "%s net", text);
        /* Flip the last bit inside the prefix: out. Flip the first bit after it: in. */
        unsigned b = bits - 1;
        ip.a[b / 8] ^= (uint8_t)(0x80u >> (b % 8));
        cr_expect_not(pl_cidr_contains(&c, &ip), "%s bit %u", text, b);
        if (bits < 128) {
            ip = c.net;
            ip.a[bits / 8] ^= (uint8_t)(0x80u >> (bits % 8));
            cr_expect(pl_cidr_contains(&c, &ip), "%s host bit %u", text, bits);
        }
    }
}

static void
load(struct pl_cidr_list *l, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct pl_cidr c;
        cr_assert_eq(pl_cidr_parse(pl_str_c(v[i]), false, &c), 0, "%s", v[i]);
        cr_assert_eq(pl_cidr_list_add(l, &c), 0);
    }
}

Test(cidr, list_add_contains_done)
{
    struct pl_cidr_list l = {0};
    struct pl_ip ip;
    cr_assert_eq(pl_ip_parse_host(PL_STR("10.0.0.1"), &ip), 0);
    cr_expect_not(pl_cidr_list_contains(&l, &ip));
    cr_expect_not(pl_cidr_list_contains(NULL, &ip));
    for (int i = 0; i < 300; i++) {
        char text[32];
        snprintf(text, sizeof(text), "11.%d.%d.0/24", i / 256, i % 256);
        const char *v[] = {text};
        load(&l, v, 1);
    }
    cr_expect_eq(l.n, 300);
    cr_expect_not(pl_cidr_list_contains(&l, &ip));
    cr_assert_eq(pl_ip_parse_host(PL_STR("11.1.43.7"), &ip), 0);
    cr_expect(pl_cidr_list_contains(&l, &ip));
    cr_assert_eq(pl_ip_parse_host(PL_STR("11.1.44.7"), &ip), 0);
    cr_expect_not(pl_cidr_list_contains(&l, &ip));
    pl_cidr_list_done(&l);
    cr_expect_null(l.v);
    cr_expect_eq(l.n, 0);
    pl_cidr_list_done(&l);
    pl_cidr_list_done(NULL);
}

/* ---- SSRF classification ---- */

struct internal_case {
    const char *ip;
    bool in_default; /* against the 12-entry default list */
    bool in_core;    /* against the 10-entry core floor */
};

static const struct internal_case internal_cases[] = {
    {"127.0.0.1", true, true},
    {"2130706433", true, true},
    {"0x7f.1", true, true},
    {"127.255.255.254", true, true},
    {"0.0.0.0", true, true},
    {"10.0.0.1", true, true},
    {"172.16.0.1", true, true},
    {"172.32.0.1", false, false},
    {"192.168.1.1", true, true},
    {"169.254.169.254", true, true},
    {"169.254.170.2", true, true},
    {"100.100.100.200", true, true},
    {"224.0.0.1", true, false},
    {"239.255.255.250", true, false},
    {"8.8.8.8", false, false},
    {"1.1.1.1", false, false},
    {"255.255.255.255", false, false},
    {"::1", true, true},
    {"fe80::1", true, true},
    {"fc00::1", true, true},
    {"fd00:ec2::254", true, true},
    {"ff02::1", true, false},
    {"2606:4700::1111", false, false},
    {"2001:db8::1", false, false},
    /* IPv4-mapped: the reference's unmapping */
    {"::ffff:127.0.0.1", true, true},
    {"::ffff:7f00:1", true, true},
    {"::ffff:a9fe:a9fe", true, true},
    {"::ffff:224.0.0.1", true, false},
    {"::ffff:8.8.8.8", false, false},
    /* beyond the reference: embedded IPv4 */
    {"::", true, true},
    {"::127.0.0.1", true, true},
    {"::7f00:1", true, true},
    {"::10.0.0.1", true, true},
    {"::8.8.8.8", false, false},
    {"64:ff9b::7f00:1", true, true},
    {"64:ff9b::127.0.0.1", true, true},
    {"64:ff9b::a9fe:a9fe", true, true},
    {"64:ff9b::e000:1", true, false},
    {"64:ff9b::8.8.8.8", false, false},
    {"64:ff9b:1::7f00:1", false, false},
    {"2002:7f00:1::", true, true},
    {"2002:a9fe:a9fe::1", true, true},
    {"2002:c0a8:101:1::1", true, true},
    {"2002:808:808::1", false, false},
    {"2001:0:4136:e378:8000:63bf:80ff:fffe", true, true},
    {"2001:0:4136:e378:8000:63bf:f7f7:f7f7", false, false},
    {"2001:1::80ff:fffe", false, false},
};

Test(ssrf, internal_classification)
{
    struct pl_cidr_list def = {0}, core = {0};
    load(&def, (const char *const *)pl_ip_default_internal, pl_ip_default_internal_count);
    load(&core, (const char *const *)pl_ip_core_internal, pl_ip_core_internal_count);
    for (size_t i = 0; i < PL_ARRAY_SIZE(internal_cases); i++) {
        const struct internal_case *c = &internal_cases[i];
        struct pl_ip ip;
        cr_assert_eq(pl_ip_parse_host(pl_str_c(c->ip), &ip), 0, "%s", c->ip);
        cr_expect_eq(pl_ip_is_internal(&ip, &def, NULL), c->in_default, "%s vs default", c->ip);
        cr_expect_eq(pl_ip_is_internal(&ip, &core, NULL), c->in_core, "%s vs core", c->ip);
        /* With nothing internal, nothing is. */
        cr_expect_not(pl_ip_is_internal(&ip, NULL, NULL), "%s vs NULL", c->ip);
    }
    pl_cidr_list_done(&def);
    pl_cidr_list_done(&core);
}

Test(ssrf, embedded_v4)
{
    static const struct {
        const char *in;
        const char *v4; /* NULL: none */
    } cases[] = {
        {"::ffff:1.2.3.4", "1.2.3.4"},
        {"::1.2.3.4", "1.2.3.4"},
        {"::", "0.0.0.0"},
        {"::1", "0.0.0.1"},
        {"64:ff9b::1.2.3.4", "1.2.3.4"},
        {"2002:102:304::", "1.2.3.4"},
        {"2002:102:304:5::6", "1.2.3.4"},
        {"2001:0:1:2::fefd:fcfb", "1.2.3.4"},
        {"2001:db8::1", NULL},
        {"64:ff9b:0:1::1.2.3.4", NULL},
        {"::1:0:1.2.3.4", NULL},
        {"2003::1", NULL},
        {"1.2.3.4", NULL},
        {"fe80::1.2.3.4", NULL},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        struct pl_ip ip, v4;
        cr_assert_eq(pl_ip_parse_host(pl_str_c(cases[i].in), &ip), 0, "%s", cases[i].in);
        bool has = pl_ip_embedded_v4(&ip, &v4);
        cr_expect_eq(has, cases[i].v4 != NULL, "%s", cases[i].in);
        if (has && cases[i].v4) {
            char buf[PL_IP_STRLEN];
            pl_ip_format(&v4, buf, sizeof(buf));
            cr_expect_str_eq(buf, cases[i].v4, "%s", cases[i].in);
            cr_expect_eq(v4.family, PL_IP_V4);
        }
    }
}

Test(ssrf, allowlist_exempts)
{
    struct pl_cidr_list def = {0}, allow = {0};
    load(&def, (const char *const *)pl_ip_default_internal, pl_ip_default_internal_count);
    static const char *const allow_v[] = {"127.0.0.1/32", "64:ff9b::a00:1/128", "fd00::/8"};
    load(&allow, allow_v, PL_ARRAY_SIZE(allow_v));
    static const struct {
        const char *ip;
        bool internal;
    } cases[] = {
        {"127.0.0.1", false},       {"::ffff:127.0.0.1", false},
        {"64:ff9b::7f00:1", false}, /* embedded address is allowlisted */
        {"::127.0.0.1", false},     {"127.0.0.2", true},
        {"64:ff9b::a00:1", false}, /* the v6 address itself is allowlisted */
        {"::10.0.0.1", true},       {"10.0.0.1", true},
        {"fd00:ec2::254", false},   {"fc00::1", true},
        {"8.8.8.8", false},
    };
    for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
        struct pl_ip ip;
        cr_assert_eq(pl_ip_parse_host(pl_str_c(cases[i].ip), &ip), 0, "%s", cases[i].ip);
        cr_expect_eq(pl_ip_is_internal(&ip, &def, &allow), cases[i].internal, "%s", cases[i].ip);
    }
    pl_cidr_list_done(&def);
    pl_cidr_list_done(&allow);
}

/* Every notation of loopback and metadata must classify as internal. */
Test(ssrf, notations_of_loopback_are_internal)
{
    static const char *const hosts[] = {
        "127.0.0.1",
        "2130706433",
        "0x7f000001",
        "0x7F.1",
        "0177.0.0.1",
        "0x7f.0.0.01",
        "127.1",
        "127.0.1",
        "127.0.0.1.",
        "017700000001",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::127.0.0.1]",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::]",
        "[0:0:0:0:0:0:0:1]",
        "[fe80::1%25eth0]",
        "0",
        "0x0",
        "[::]",
        "2852039166",
        "169.254.43518",
        "0xa9.0xfe.0xa9.0xfe",
    };
    struct pl_cidr_list core = {0};
    load(&core, (const char *const *)pl_ip_core_internal, pl_ip_core_internal_count);
    for (size_t i = 0; i < PL_ARRAY_SIZE(hosts); i++) {
        struct pl_ip ip;
        cr_assert_eq(pl_ip_parse_host(pl_str_c(hosts[i]), &ip), 0, "%s", hosts[i]);
        cr_expect(pl_ip_is_internal(&ip, &core, NULL), "%s", hosts[i]);
    }
    pl_cidr_list_done(&core);
}
